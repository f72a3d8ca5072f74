"""The peer comparison section of bench/results/<date>-<label>.md: peer-overhead.sh's own report (direct, Portkey and
ccapi side by side, overhead against direct), the ccapi/Portkey ratios against issue 10's goals, and the CPU per
request of every process of ours over the phase. Every figure comes from the files bench/run.sh recorded.

usage: peer.py <work-dir> <raw-dir>   (reads work/peer-*, raw/peer/results.tsv and raw/peer/*.txt)"""
import glob
import json
import os
import re
import sys

from runfiles import read_kv

work, raw = sys.argv[1], sys.argv[2]
peer_raw = os.path.join(raw, "peer")
CLK_TCK = os.sysconf("SC_CLK_TCK")
SHORT = {"CCApi.Gateway": "gateway", "CCApi.Adapters.OpenAI": "openai adapter", "CCApi.Adapters.Local": "local adapter",
         "CCApi.JobStatus": "jobstatus", "CCApi.Catalog": "catalog", "rabbitmq": "rabbitmq", "redis": "redis"}


def result(line):
    """The numbers of peer-overhead.sh's wrk RESULT line."""
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", line)}


env = read_kv(os.path.join(work, "peer-env"))
notes = []
if os.path.exists(os.path.join(work, "peer-notes")):
    with open(os.path.join(work, "peer-notes")) as f:
        notes = [l.strip() for l in f if l.strip()]
rc = int(env.get("rc", "1"))
raw_name = os.path.basename(raw.rstrip("/"))
out = []
w = out.append

w("")
w("## Beside a peer gateway (`../shared/peer-bench`, issue 10)")
w("")
w(f"`peer-overhead.sh`, run after the points above against the same processes, interleaves per connection count: wrk "
  "straight to its mock OpenAI provider (**direct**), through the Portkey AI Gateway (**portkey**), and through our full "
  f"path — gateway → RabbitMQ → OpenAI adapter → the same mock → back (**ccapi**, `{env.get('model', '?')}`). "
  f"{env.get('duration_s', '?')} s per row after {env.get('warmup_s', '?')} s of warm-up, each target primed first with "
  f"{env.get('prime_s', '?')} s of load; node {env.get('node', '?')}. In its table, ccapi's \"server CPU\" is the "
  "gateway process alone (Portkey's is its whole process); the CPU of all our processes is below.")
w("")
for n in notes:
    w(f"> {n}")
    w("")
if rc != 0:
    w(f"**peer-overhead.sh failed (exit {rc}); this run has no peer table.** The end of its stderr "
      f"(all of it: `raw/{raw_name}/peer/peer-overhead-stderr.txt`):")
    w("")
    w("```")
    with open(os.path.join(work, "peer-stderr.txt")) as f:
        w("".join(f.readlines()[-15:]).rstrip())
    w("```")
    print("\n".join(out))
    sys.exit(0)

with open(os.path.join(work, "peer-report.md")) as f:
    w(f.read().rstrip().replace("### peer-overhead run", "### peer-overhead.sh report,", 1))
w("")

rows = {}
with open(os.path.join(peer_raw, "results.tsv")) as f:
    for line in f:
        c, name, t0, t1, _m0, _m1, _rss, res = line.rstrip("\n").split("\t")
        r = result(res)
        r["cpu_us"] = (int(t1) - int(t0)) * 1e6 / CLK_TCK / r["requests"] if t0 and t1 and r["requests"] else None
        rows[(int(c), name)] = r
conns = sorted({c for c, _ in rows})

w("### ccapi ÷ Portkey (same run)")
w("")
if not any(n == "portkey" for _, n in rows):
    w("No Portkey rows in this run (see the note above), so no ratios.")
else:
    def mark(ok):
        return " met" if ok else " **missed**"

    w("Issue 10's goals: ≥ 1.5× Portkey's req/s at 1, 16 and 64 connections; added p50 (over direct) at 1 connection ≤ "
      "Portkey's; p99 at 64 connections ≤ half Portkey's. One run on a shared machine: compare runs, not single figures.")
    w("")
    w("| conc | req/s ccapi / Portkey | added p50 ccapi / Portkey (ms) | p50 ccapi / Portkey | p99 ccapi / Portkey | "
      "CPU µs/req: ccapi gateway / Portkey |")
    w("|---:|---:|---:|---:|---:|---:|")
    for c in conns:
        d, p, g = rows.get((c, "direct")), rows.get((c, "portkey")), rows.get((c, "ccapi"))
        if not (d and p and g) or not p["rps"] or not p["p50_us"] or not p["p99_us"]:
            continue
        rps = g["rps"] / p["rps"]
        ag, ap = (g["p50_us"] - d["p50_us"]) / 1000, (p["p50_us"] - d["p50_us"]) / 1000
        p99 = g["p99_us"] / p["p99_us"]
        cpu = f"{g['cpu_us']:.0f} / {p['cpu_us']:.0f}" if g["cpu_us"] is not None and p["cpu_us"] is not None else "-"
        w(f"| {c} | {rps:.2f}{mark(rps >= 1.5) if c in (1, 16, 64) else ''} | {ag:+.2f} / {ap:+.2f}"
          f"{mark(ag <= ap) if c == 1 else ''} | {g['p50_us'] / p['p50_us']:.2f} | {p99:.2f}{mark(p99 <= 0.5) if c == 64 else ''} | {cpu} |")
w("")

# CPU of every process of ours over the whole phase / every request sent to ccapi in it (priming, warm-up and rows).
# Our processes serve nothing else meanwhile (direct and Portkey rows leave them idle, apart from heartbeats).
pids = read_kv(os.path.join(work, "peer-pids"))
snap = {}
for when in ("before", "after"):
    with open(os.path.join(work, f"peer-cpu-{when}.json")) as f:
        snap[when] = json.load(f)["procs"]
requests = 0
for path in glob.glob(os.path.join(peer_raw, "*ccapi*.txt")):
    with open(path) as f:
        for line in f:
            if line.startswith("RESULT "):
                requests += int(result(line)["requests"])
if requests:
    per = {}
    for name in SHORT:  # not the mock: it is the upstream, not ours
        a, b = snap["after"].get(pids.get(name, "")), snap["before"].get(pids.get(name, ""))
        if a and b:
            per[name] = (a[1] - b[1]) * 1e6 / CLK_TCK / requests
    total = sum(per.values())
    w(f"CPU per ccapi request over the whole phase, every process of ours (µs; {requests:,} requests to ccapi, priming "
      "and warm-up included, the OpenAI adapter's first requests already served in the run's warm-up; the processes "
      "were otherwise idle, their background work is counted too). Issue 10's goal: "
      "≤ 600 µs in all.")
    w("")
    w("| " + " | ".join(SHORT[n] for n in per) + " | total |")
    w("|" + "---:|" * (len(per) + 1))
    w("| " + " | ".join(f"{v:.0f}" for v in per.values()) + f" | {total:.0f}{' met' if total <= 600 else ' **missed**'} |")
    w("")
w(f"Raw: `raw/{raw_name}/peer/` (wrk output per row, preflight answers, `results.tsv`, peer-overhead.sh's stderr).")
print("\n".join(out))
