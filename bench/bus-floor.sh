#!/usr/bin/env bash
# What the two broker hops of one synchronous call cost at best on this machine: raw RabbitMQ.Client ping-pong beside
# MassTransit request/response as the platform sends it, and with publisher confirmations off on the requester's bus or
# on both, or with MassTransit's raw JSON serializer instead of its envelope, one request in flight (the latency a call at
# one connection pays twice). Interleaved round by round against one private RabbitMQ, so every variant sees the same
# machine noise. Writes bench/results/<date>-bus-floor.md with the medians over the rounds.
#
#   BENCH_BUS_FLOOR_PORT (5679)  private RabbitMQ (must be free)     BENCH_ROUNDS (3)   BENCH_SECONDS (5) per point
#   BENCH_DATE (today, UTC)   BENCH_VARIANTS (every variant; e.g. "raw mt-platform mt-raw")
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
cd "$REPO"
export CCAPI_DATA_DIR="$REPO/.data/bench-bus-floor"
PORT=${BENCH_BUS_FLOOR_PORT:-5679}
ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_POINT=${BENCH_SECONDS:-5}
DATE=${BENCH_DATE:-$(date -u +%F)}
OUT="$CCAPI_DATA_DIR/out"
REPORT="$BENCH_DIR/results/$DATE-bus-floor.md"

mkdir -p "$CCAPI_DATA_DIR"
# shellcheck source=../scripts/infra.sh
source scripts/infra.sh
infra_stop
trap 'infra_stop' EXIT
if port_open "$PORT"; then echo "Port $PORT is in use; set BENCH_BUS_FLOOR_PORT." >&2; exit 2; fi
ensure_rabbitmq "$PORT"

echo "building the benchmark" >&2
rm -rf "$OUT"
dotnet build "$BENCH_DIR/bus-floor" -c Release -o "$OUT" -nologo -clp:ErrorsOnly -v:q >&2
rm -rf "$BENCH_DIR/bus-floor/obj" "$BENCH_DIR/bus-floor/bin"

variants=(${BENCH_VARIANTS:-raw mt-platform mt-correlated mt-replyto raw-requester mt-requester-unconfirmed mt-unconfirmed mt-confirmed mt-raw})
: >"$CCAPI_DATA_DIR/points.txt"
for ((round = 1; round <= ROUNDS; round++)); do
  for variant in "${variants[@]}"; do
    echo "round $round: $variant" >&2
    dotnet "$OUT/CCApi.Bench.BusFloor.dll" "amqp://guest:guest@127.0.0.1:$PORT/" "$variant" "$SECONDS_PER_POINT" |
      sed "s|^|$round |" >>"$CCAPI_DATA_DIR/points.txt"
  done
done

python3 - "$CCAPI_DATA_DIR/points.txt" "$REPORT" "$ROUNDS" "$SECONDS_PER_POINT" "$(git rev-parse --short=12 HEAD)" <<'PY'
import statistics, sys, datetime, os, subprocess
points, report, rounds, secs, commit = sys.argv[1:]
rows = {}
for line in open(points):
    rnd, variant, rate, p50, p90, p99, cpu = line.split()
    rows.setdefault(variant, []).append(tuple(float(x) for x in (rate, p50, p90, p99, cpu)))
order = ["raw", "mt-platform", "mt-correlated", "mt-replyto", "raw-requester", "mt-requester-unconfirmed", "mt-unconfirmed", "mt-confirmed", "mt-raw"]
what = {
    "raw": "RabbitMQ.Client alone (two connections, transient, no confirms, auto-ack)",
    "mt-platform": "MassTransit as the platform sends a synchronous call (confirmations on, request and response transient and not waited on)",
    "mt-correlated": "the responder as in mt-platform, the requester a MassTransit bus without a request client: sent with RequestId and ResponseAddress, responses taken by one handler connected once and matched by RequestId",
    "mt-replyto": "mt-correlated with RabbitMQ's direct reply-to: the responses come straight to the requester's channel through the pseudo-queue amq.rabbitmq.reply-to, the requests sent on that channel",
    "raw-requester": "the responder as in mt-platform, the requester RabbitMQ.Client alone: MassTransit's JSON envelope published and the response read from a reply queue of its own",
    "mt-requester-unconfirmed": "the same as mt-platform, publisher confirmations off on the requester's bus (the gateway's side)",
    "mt-unconfirmed": "the same, publisher confirmations off on both buses",
    "mt-confirmed": "MassTransit's defaults: request and response waited on for their confirms",
    "mt-raw": "mt-platform with MassTransit's raw JSON serializer on both buses (the message alone as the body, its headers in the AMQP properties) instead of the JSON envelope",
}
med = lambda xs, i: statistics.median(x[i] for x in xs)
base = med(rows["mt-platform"], 1)
load = open("/proc/loadavg").read().split()[:3]
out = [f"# The floor of a synchronous call's two broker hops — {datetime.date.today()}", "",
       f"`bench/bus-floor.sh` at `{commit}`: {rounds} interleaved rounds × {secs} s per variant (after 3 s of warm-up), one "
       f"request in flight, a ~600-byte body, against one private RabbitMQ on this machine ({os.cpu_count()} cores, shared; "
       f"load average at the end {' '.join(load)}). Requester and responder run in one process (the two buses or the two "
       "connections a gateway and an adapter would have); CPU is that process's, per round trip, and excludes the broker's. "
       "Medians over the rounds.", "",
       "| variant | round trips/s | p50 µs | p90 µs | p99 µs | client CPU µs | p50 ÷ mt-platform |",
       "|---|---:|---:|---:|---:|---:|---:|"]
for v in order:
    if v not in rows: continue
    r = rows[v]
    out.append(f"| `{v}`: {what[v]} | {med(r, 0):,.0f} | {med(r, 1):.0f} | {med(r, 2):.0f} | {med(r, 3):.0f} | {med(r, 4):.0f} | {med(r, 1) / base:.2f} |")
out += ["", "Raw points (round, variant, round trips/s, p50 µs, p90 µs, p99 µs, client CPU µs):", "", "```"] + [l.rstrip() for l in open(points)] + ["```", ""]
open(report, "w").write("\n".join(out))
print("\n".join(out))
PY
echo "wrote ${REPORT#"$REPO"/}" >&2
