"""One measured point for bench/run.sh as a JSON line: wrk's BENCH summary line plus the CPU each process used.

usage: point.py <scenario> <connections> <threads> <wall_ms> <wrk-output or -> <before.json> <after.json> name=pid...
CPU is in clock ticks (1/100 s) of one core; the machine has nproc cores' worth per second."""
import json
import sys

scenario, conns, threads, wall_ms, wrk_out, before_path, after_path, *tracked = sys.argv[1:]
tracked = dict(t.split("=", 1) for t in tracked)

point = {"scenario": scenario, "conns": int(conns), "threads": int(threads), "wall_ms": int(wall_ms)}
if wrk_out != "-":  # "-": a phase without wrk (its own client's CPU shows in the "wrk" column)
    with open(wrk_out) as f:
        line = next(l for l in f if l.startswith("BENCH "))
    point.update({k: float(v) for k, v in (p.split("=", 1) for p in line.split()[1:])})

with open(before_path) as f:
    before = json.load(f)
with open(after_path) as f:
    after = json.load(f)


def used(pid):
    a, b = after["procs"].get(pid), before["procs"].get(pid)
    return (a[1] if a else 0) - (b[1] if b else 0)


cpu = {name: used(pid) for name, pid in tracked.items()}
cpu["wrk"] = after["shell_children"] - before["shell_children"]
cpu["machine"] = after["machine_busy"] - before["machine_busy"]
cpu["steal"] = after["machine_steal"] - before["machine_steal"]
cpu["other"] = cpu["machine"] - sum(cpu[n] for n in tracked) - cpu["wrk"] - cpu["steal"]
point["cpu_ticks"] = cpu

mine = set(tracked.values())
foreign = sorted(((used(pid), after["procs"][pid][0], pid) for pid in after["procs"] if pid not in mine), reverse=True)
point["top_other"] = [{"pid": pid, "comm": comm, "ticks": t} for t, comm, pid in foreign[:3] if t >= 5]
print(json.dumps(point))
