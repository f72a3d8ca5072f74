"""CPU snapshot for bench/run.sh: every process's utime+stime (clock ticks), the machine's busy ticks, and the
children time of the benchmark shell (that is where wrk's CPU shows up once wrk has exited). Prints one JSON object."""
import json
import os
import sys

shell_pid = sys.argv[1]


def stat_fields(path):
    with open(path) as f:
        raw = f.read()
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2:].split()  # rest[0] is field 3 (state)
    return comm, rest


procs = {}
for name in os.listdir("/proc"):
    if not name.isdigit():
        continue
    try:
        comm, rest = stat_fields(f"/proc/{name}/stat")
    except (OSError, ValueError):
        continue  # gone meanwhile
    procs[name] = [comm, int(rest[11]) + int(rest[12])]  # fields 14 utime, 15 stime

with open("/proc/stat") as f:
    cpu = f.readline().split()[1:]
user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in cpu[:8])
_, shell = stat_fields(f"/proc/{shell_pid}/stat")
print(json.dumps({
    "machine_busy": user + nice + system + irq + softirq + steal,
    "machine_steal": steal,
    "shell_children": int(shell[13]) + int(shell[14]),  # fields 16 cutime, 17 cstime
    "procs": procs,
}))
