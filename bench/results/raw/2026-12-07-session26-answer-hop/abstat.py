import re,sys,statistics as st
lines=open(sys.argv[1]).read().split("\n")
pts=[]
for l in lines:
    if not l: continue
    d=dict(re.findall(r'([\w/]+)=([\d.]+)',l)); d["t"]=l[0]; d["k"]=l.split()[1]+l.split()[2]; pts.append(d)
for k in sorted(set(p["k"] for p in pts)):
    for f,better in [("rps",1),("p50",-1),("added",-1),("gw_us/req",-1),("rest_us/req",-1)]:
        a=[float(p[f]) for p in pts if p["k"]==k and p["t"]=="A" and f in p]
        b=[float(p[f]) for p in pts if p["k"]==k and p["t"]=="B" and f in p]
        if not a: continue
        r=[y/x for x,y in zip(a,b)]
        print(f"{k:10s} {f:12s} A med {st.median(a):8.3f}  B med {st.median(b):8.3f}  B/A median {st.median(r):.3f}  B better {sum((y-x)*better>0 for x,y in zip(a,b))}/{len(r)}")
