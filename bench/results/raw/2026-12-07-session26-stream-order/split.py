import json,collections,sys
def ts(iso):
    import datetime
    head, frac = iso.rstrip("Z").split(".")
    return datetime.datetime.fromisoformat(head).replace(tzinfo=datetime.timezone.utc).timestamp()+float("0."+frac)
def load(p):
    out=[]
    for l in open(p):
        try: s=json.loads(l)
        except: continue
        s["t0"]=ts(s["start"]); s["t1"]=s["t0"]+s["duration_ms"]/1000; out.append(s)
    return out
g=load(sys.argv[1]); a=load(sys.argv[2])
by=collections.defaultdict(dict)
for s in g+a: by[s["trace_id"]][(s["service"][6:9],s["name"])]=s
seg=collections.defaultdict(list)
for t,d in by.items():
    try:
        srv=d[("Gat","POST /v1/chat/completions")]; snd=d[("Gat","openai-chat send")]
        rcv=d[("Ada","openai-chat receive")]; prc=d[("Ada","openai-chat process")]; chat=d[("Ada","chat gpt-4o-mini")]; post=d[("Ada","POST")]
    except KeyError: continue
    ms=lambda x,y:(y-x)*1000
    seg["1 srv->send"].append(ms(srv["t0"],snd["t0"]))
    seg["2 send->adapter rcv"].append(ms(snd["t0"],rcv["t0"]))
    seg["3 rcv->POST"].append(ms(rcv["t0"],post["t0"]))
    seg["4 POST (to headers)"].append(post["duration_ms"])
    seg["5 POST end->chat end"].append(ms(post["t1"],chat["t1"]))
    seg["6 POST end->srv end"].append(ms(post["t1"],srv["t1"]))
    rep=[s for k,s in d.items() if "reply" in k[1]]
    for s in rep: seg["7 "+s["service"][6:9]+" "+s["name"]+" start from POST end"].append(ms(post["t1"],s["t0"]))
    seg["8 srv total"].append(srv["duration_ms"])
    seg["9 send dur"].append(snd["duration_ms"])
for k in sorted(seg):
    v=sorted(seg[k]); print(f"{k:55s} n={len(v)} p50={v[len(v)//2]:.3f} p90={v[int(len(v)*.9)]:.3f}")
