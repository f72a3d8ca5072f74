#!/usr/bin/env bash
# What one key's large hostile chats do to everyone else's latency, with the gateway's large-prompt permits
# (LargePrompts__*) as configured ("on") and switched off ("off": LargePrompts__Characters at its maximum), on the same
# build, interleaved round by round on a fresh ./run.sh platform each time (private ports and data directory).
# Per platform: a victim alone (wrk, one connection, a short chat with the bootstrap key), then the same victim beside
# bench/large-prompts/attack.py (another key, rpm 10, 8 MB '-'/'=' chats from BENCH_ATTACKERS connections); the
# gateway's CPU over the attack. Writes bench/results/<date>-large-prompts.md.
#
#   BENCH_ROUNDS (2)   BENCH_ATTACKERS (6)   BENCH_SECONDS (20)   BENCH_DATE (today, UTC)
#   BENCH_PORT (8580)  BENCH_AMQP_PORT (5712)  BENCH_REDIS_PORT (6419)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
cd "$REPO"
ROUNDS=${BENCH_ROUNDS:-2}
ATTACKERS=${BENCH_ATTACKERS:-6}
SECONDS_PER_POINT=${BENCH_SECONDS:-20}
DATE=${BENCH_DATE:-$(date -u +%F)}
PORT=${BENCH_PORT:-8580}
AMQP_PORT=${BENCH_AMQP_PORT:-5712}
REDIS_PORT=${BENCH_REDIS_PORT:-6419}
DATA="$REPO/.data/bench-large-prompts"
REPORT="$BENCH_DIR/results/$DATE-large-prompts.md"
KEY=sk-bench-$(printf 'a%.0s' {1..32})
ADMIN=adm-bench-$(printf 'a%.0s' {1..45})
URL=http://127.0.0.1:$PORT
BODY='{"model":"local/echo-1","messages":[{"role":"user","content":"Hello, benchmark."}]}'
command -v wrk >/dev/null && command -v python3 >/dev/null && command -v jq >/dev/null || { echo "needs wrk, python3 and jq" >&2; exit 1; }

dotnet build CCApi.Services.slnf -c Release -nologo -clp:ErrorsOnly -v:q >&2
rm -rf "$DATA"
mkdir -p "$DATA"
platform=

stop_platform() {
  if [ -n "$platform" ]; then
    kill "$platform" 2>/dev/null || true
    wait "$platform" 2>/dev/null || true
    platform=
  fi
}
trap stop_platform EXIT

victim() { # victim <seconds> <out>
  BENCH_METHOD=POST BENCH_BODY="$BODY" BENCH_KEY=$KEY wrk -t1 -c1 -d"$1"s --latency --timeout 10s -s "$BENCH_DIR/wrk/request.lua" "$URL/v1/chat/completions" >"$2" 2>&1
}

summary() { # req/s, p50, p99 of a wrk --latency report
  printf '%s\t%s\t%s' "$(awk '/Requests\/sec/{print $2}' "$1")" "$(awk '$1=="50%"{print $2}' "$1")" "$(awk '$1=="99%"{print $2}' "$1")"
}

: >"$DATA/points.tsv"
for ((round = 1; round <= ROUNDS; round++)); do
  for mode in on off; do
    echo "round $round: permits $mode" >&2
    run="$DATA/$mode$round"
    mkdir -p "$run"
    settings=()
    [ "$mode" = off ] && settings=(LargePrompts__Characters=2147483647)
    env "${settings[@]}" CCAPI_SKIP_BUILD=1 CCAPI_DATA_DIR="$run/data" CCAPI_PORT=$PORT CCAPI_AMQP_PORT=$AMQP_PORT \
      CCAPI_REDIS_PORT=$REDIS_PORT CCAPI_BOOTSTRAP_API_KEY=$KEY CCAPI_ADMIN_API_KEY=$ADMIN ./run.sh >"$run/platform.log" 2>&1 &
    platform=$!
    for _ in $(seq 1 180); do curl -fsS "$URL/health/ready" >/dev/null 2>&1 && break; sleep 1; done
    curl -fsS "$URL/health/ready" >/dev/null
    BENCH_METHOD=POST BENCH_BODY="$BODY" BENCH_KEY=$KEY wrk -t1 -c4 -d5s -s "$BENCH_DIR/wrk/request.lua" "$URL/v1/chat/completions" >/dev/null 2>&1
    victim 10 "$run/alone.txt"
    attacker=$(curl -fsS -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
      -d '{"name":"attacker","credits_usd":100,"limits":{"rpm":10}}' "$URL/admin/v1/keys" | jq -r .key)
    gateway=$(ss -Hltnp "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    cpu0=$(awk '{print $14 + $15}' "/proc/$gateway/stat")
    python3 "$BENCH_DIR/large-prompts/attack.py" "$PORT" "$attacker" "$ATTACKERS" $((SECONDS_PER_POINT + 2)) >"$run/attack.txt" 2>&1 &
    sleep 1
    victim "$SECONDS_PER_POINT" "$run/beside.txt"
    wait %%
    cpu1=$(awk '{print $14 + $15}' "/proc/$gateway/stat")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$mode" "$(summary "$run/alone.txt")" "$(summary "$run/beside.txt")" \
      "$(awk -v t=$((SECONDS_PER_POINT + 2)) -v c=$((cpu1 - cpu0)) 'BEGIN{printf "%.2f", c / 100 / t}')" "$(cat "$run/attack.txt")" >>"$DATA/points.tsv"
    stop_platform
    sleep 3
  done
done

{
  echo "# One key's large hostile chats beside everyone else's, $DATE (LargePrompts permits on and off)"
  echo
  echo "- Commit: \`$(git rev-parse --short=12 HEAD)\` (the working tree's Release build); machine: $(nproc) cores, $(uname -r)"
  echo "- Load average before the last round: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Victim: \`wrk -t1 -c1\`, a short chat to \`local/echo-1\` with the bootstrap key, ${SECONDS_PER_POINT} s beside the attack (10 s alone first)."
  echo "- Attack: \`bench/large-prompts/attack.py\`, $ATTACKERS connections of one key (rpm 10, credits) sending 8 MB of \`-\`/\`=\` runs in one"
  echo "  message, each answered 400 \`context_length_exceeded\` once read, parsed and counted: refused before admission, so its"
  echo "  rpm never counts them. \"off\" is the same build with \`LargePrompts__Characters=2147483647\`."
  echo "- Gateway CPU: cores used over the attack (utime + stime ÷ its duration)."
  echo
  echo "| round | permits | victim alone req/s | p50 | p99 | victim beside the attack req/s | p50 | p99 | gateway cores | attack (statuses, p50) |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"
  awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}' "$DATA/points.tsv"
} >"$REPORT"
echo "wrote $REPORT" >&2
