"""Percent of one core used over <seconds> by processes that are not the benchmark's (machine busy time minus the
tracked pids and their threads). Used by bench/run.sh to wait for a quiet machine before a point.

usage: quiet.py <seconds> <pid>..."""
import sys
import time

seconds, pids = float(sys.argv[1]), sys.argv[2:]


def busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
        rest = raw[raw.rindex(")") + 2:].split()
        return int(rest[11]) + int(rest[12])
    except (OSError, ValueError):
        return 0


b0, t0 = busy(), sum(ticks(p) for p in pids)
time.sleep(seconds)
b1, t1 = busy(), sum(ticks(p) for p in pids)
print(round(max(0, (b1 - b0) - (t1 - t0)) / seconds))  # ticks are 1/100 s: ticks per second = percent of one core
