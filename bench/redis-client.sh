#!/usr/bin/env bash
# The Redis client, measured on the platform's own Redis workloads: StackExchange.Redis 1.2.6 (the version the platform
# ran until 2026-12-04) beside 3.x on RESP2 (what the platform now uses) and on RESP3 (3.x's default), interleaved round
# by round against one private Redis, so the three see the same machine noise. Writes
# bench/results/<date>-redis-client.md with the medians over the rounds and the ratios to 1.2.6.
#
#   BENCH_REDIS_CLIENT_PORT (6382)  private Redis (must be free)     BENCH_ROUNDS (3)   BENCH_SECONDS (3) per point
#   BENCH_DATE (today, UTC)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
cd "$REPO"
export CCAPI_DATA_DIR="$REPO/.data/bench-redis-client"
PORT=${BENCH_REDIS_CLIENT_PORT:-6382}
ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_POINT=${BENCH_SECONDS:-3}
DATE=${BENCH_DATE:-$(date -u +%F)}
NEW_VERSION=$(sed -n 's/.*Include="StackExchange.Redis" Version="\([^"]*\)".*/\1/p' Directory.Packages.props)
OLD_VERSION=1.2.6
OUT="$CCAPI_DATA_DIR/out"
REPORT="$BENCH_DIR/results/$DATE-redis-client.md"

mkdir -p "$CCAPI_DATA_DIR"
# shellcheck source=../scripts/infra.sh
source scripts/infra.sh
infra_stop
trap 'infra_stop' EXIT
if port_open "$PORT"; then echo "Port $PORT is in use; set BENCH_REDIS_CLIENT_PORT." >&2; exit 2; fi
ensure_redis "$PORT"

for v in "$OLD_VERSION" "$NEW_VERSION"; do
  echo "building the benchmark against StackExchange.Redis $v" >&2
  rm -rf "$OUT/$v" "$BENCH_DIR/redis-client/obj"
  dotnet build "$BENCH_DIR/redis-client" -c Release -p:RedisClientVersion="$v" -o "$OUT/$v" -nologo -clp:ErrorsOnly -v:q >&2
done
rm -rf "$BENCH_DIR/redis-client/obj" "$BENCH_DIR/redis-client/bin"

variants=("$OLD_VERSION resp2" "$NEW_VERSION resp2" "$NEW_VERSION resp3")
: >"$CCAPI_DATA_DIR/points.txt"
for ((round = 1; round <= ROUNDS; round++)); do
  for workload in job append xrange; do
    for variant in "${variants[@]}"; do
      read -r version protocol <<<"$variant"
      echo "round $round: $workload on $version/$protocol" >&2
      dotnet "$OUT/$version/CCApi.Bench.RedisClient.dll" "127.0.0.1:$PORT" "$workload" "$SECONDS_PER_POINT" "$protocol" |
        sed "s|^|$version/$protocol $round |" >>"$CCAPI_DATA_DIR/points.txt"
    done
  done
done

python3 - "$CCAPI_DATA_DIR/points.txt" "$REPORT" "$OLD_VERSION" "$NEW_VERSION" "$ROUNDS" "$SECONDS_PER_POINT" <<'PY'
import statistics, sys, datetime, platform, os
points, report, old, new, rounds, secs = sys.argv[1:]
rows = {}
for line in open(points):
    variant, rnd, point, ops, p50, p99, cpu = line.split()
    rows.setdefault((point, variant), []).append((float(ops), float(p50), float(p99), float(cpu)))
variants = [f"{old}/resp2", f"{new}/resp2", f"{new}/resp3"]
def med(xs, i): return statistics.median(x[i] for x in xs)
out = [f"# StackExchange.Redis {old} vs {new} (RESP2, RESP3) on the platform's Redis workloads — {datetime.date.today()}", "",
       f"`bench/redis-client.sh`: {rounds} interleaved rounds × {secs} s per point against one private Redis "
       f"({os.popen('redis-server --version').read().split()[2]}) on this machine ({os.cpu_count()} cores, shared); "
       "medians over the rounds. `job` = HSET of a 10-field job record + HGETALL (JobStatus write, gateway poll); "
       "`append` = the chat-stream append script (XADD + PEXPIRE + PUBLISH); `xrange` = reading 19 entries after an id "
       "(the edge's read per notification). @1 = one caller in sequence (latency), @16 = 16 concurrent callers on the "
       "one multiplexer (throughput).", "",
       "| point | " + " | ".join(f"{v} ops/s" for v in variants) + f" | {new}/resp2 ÷ {old} | {new}/resp3 ÷ {old} | "
       + " | ".join(f"{v} p50 / p99 µs" for v in variants) + " | " + " | ".join(f"{v} client CPU µs/op" for v in variants) + " |",
       "|---|" + "---:|" * (len(variants) * 3 + 2)]
for point in sorted({p for p, _ in rows}, key=lambda p: (p.split('@')[0], int(p.split('@')[1]))):
    r = [rows.get((point, v), [(0, 0, 0, 0)]) for v in variants]
    ops = [med(x, 0) for x in r]
    lat = [f"{med(x, 1):.0f} / {med(x, 2):.0f}" for x in r]
    out.append(f"| {point} | " + " | ".join(f"{o:,.0f}" for o in ops) + f" | {ops[1] / ops[0]:.2f} | {ops[2] / ops[0]:.2f} | " + " | ".join(lat) + " | " + " | ".join(f"{med(x, 3):.1f}" for x in r) + " |")
out += ["", "Raw points (variant, round, point, ops/s, p50 µs, p99 µs, client CPU µs/op):", "", "```"] + [l.rstrip() for l in open(points)] + ["```", ""]
open(report, "w").write("\n".join(out))
print("\n".join(out[:len(out)]))
PY
echo "wrote ${REPORT#"$REPO"/}" >&2
