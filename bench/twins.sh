#!/usr/bin/env bash
# Twin gateways: two builds of the gateway side by side on one platform, loaded in turn (issue 10's A/B method).
#
#   bench/twins.sh <rev-A> <rev-B>        e.g. bench/twins.sh HEAD~1 HEAD, or bench/twins.sh HEAD worktree
#
# A change to the gateway is measured against the build before it on the same machine, minute by minute: both gateways
# share one catalog, JobStatus, OpenAI adapter (against peer-bench's mock provider), RabbitMQ and Redis, built from
# rev B, and the points alternate A B, then B A in the next round, so a machine that slows down or speeds up weighs on
# both alike. A point is a synchronous chat with wrk at N connections, or streamed chats timed to their first token
# (lib/ttft.py, against the mock directly, interleaved). Per point: req/s, p50 (or time to first token added), CPU per
# request of the gateway and of everything else (/proc utime+stime over the point ÷ requests). The summary gives B ÷ A
# per pair, its median and how many pairs B won: on these shared 2-core machines one pair means little (±15 %), many do.
# A rev is any git revision (exported with `git archive`) or "worktree" (the tree as it is, uncommitted changes too).
#
# Env:
#   TWINS_ROUNDS (6)      rounds; each runs every point once per gateway
#   TWINS_POINTS ("sync,1,6 sync,16,6 stream,1,6")   kind,connections,seconds — kinds: sync, stream (1 connection)
#   TWINS_PORT (8380)     gateway A; B on TWINS_PORT + 100; catalog +1, JobStatus +2, OpenAI adapter +11
#   TWINS_AMQP_PORT (5676) / TWINS_REDIS_PORT (6383) / TWINS_MOCK_PORT (18380)   private servers (must be free)
#   TWINS_SERVICE_ENV     extra VAR=value pairs (space-separated) for both gateways
#   TWINS_ENV_A / TWINS_ENV_B   extra VAR=value pairs for gateway A / B only: a setting measured against the same
#                         revision, e.g. TWINS_ENV_B=DOTNET_GCgen0size=0x400000 bench/twins.sh HEAD HEAD
# Writes .data/twins/points.txt (one line per point) and .data/twins/summary.md; stops everything it started.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
cd "$REPO"
[ $# -eq 2 ] || { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
REV_A=$1 REV_B=$2
ROUNDS=${TWINS_ROUNDS:-6}
POINTS=${TWINS_POINTS:-sync,1,6 sync,16,6 stream,1,6}
PORT=${TWINS_PORT:-8380}
PORT_B=$((PORT + 100))
AMQP_PORT=${TWINS_AMQP_PORT:-5676}
REDIS_PORT=${TWINS_REDIS_PORT:-6383}
MOCK_PORT=${TWINS_MOCK_PORT:-18380}
read -r -a EXTRA_ENV <<<"${TWINS_SERVICE_ENV:-}"
read -r -a ENV_A <<<"${TWINS_ENV_A:-}"
read -r -a ENV_B <<<"${TWINS_ENV_B:-}"
MOCK_JS=${BENCH_PEER_SRC:-$REPO/../shared/peer-bench}/mock-upstream/server.mjs

export CCAPI_DATA_DIR="$REPO/.data/twins"
mkdir -p "$CCAPI_DATA_DIR"
# shellcheck source=../scripts/infra.sh
source scripts/infra.sh
# shellcheck source=../scripts/services.sh
source scripts/services.sh
log() { printf '[twins %s] %s\n' "$(date +%T)" "$*" >&2; }
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

command -v node >/dev/null || { echo "node is needed for peer-bench's mock provider." >&2; exit 2; }
[ -f "$MOCK_JS" ] || { echo "peer-bench's mock provider is not at $MOCK_JS (set BENCH_PEER_SRC)." >&2; exit 2; }
for p in "$PORT" "$PORT_B" $((PORT + 1)) $((PORT + 2)) $((PORT + 11)) "$AMQP_PORT" "$REDIS_PORT" "$MOCK_PORT"; do
  if port_open "$p"; then echo "Port $p is in use; set TWINS_PORT / TWINS_AMQP_PORT / TWINS_REDIS_PORT / TWINS_MOCK_PORT." >&2; exit 2; fi
done
command -v wrk >/dev/null || apt_install wrk
command -v jq >/dev/null || apt_install jq

MOCK_PID=
cleanup() {
  stop_services 2>/dev/null || true
  [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null
  infra_stop
}
trap cleanup EXIT

# Each revision in a tree of its own; B's builds every service, A's only the gateway.
tree_of() { # rev dir: prints the tree to run the rev from
  if [ "$1" = worktree ]; then echo "$REPO"; return; fi
  rm -rf "$2" && mkdir -p "$2"
  git archive "$1" | tar -x -m -C "$2"
  echo "$2"
}
TREE_A=$(tree_of "$REV_A" "$CCAPI_DATA_DIR/src-a")
TREE_B=$(tree_of "$REV_B" "$CCAPI_DATA_DIR/src-b")
if [ "$TREE_A" = "$TREE_B" ]; then echo "A and B are the same tree." >&2; exit 2; fi
log "building B ($REV_B) and A's gateway ($REV_A)"
(cd "$TREE_B" && dotnet build CCApi.Services.slnf -c Release -nologo -clp:ErrorsOnly -v:q >/dev/null)
(cd "$TREE_A" && dotnet build services/CCApi.Gateway -c Release -nologo -clp:ErrorsOnly -v:q >/dev/null)
describe() { # rev
  if [ "$1" = worktree ]; then echo "the working tree (HEAD $(git rev-parse --short HEAD) + uncommitted changes)"
  else echo "$1 ($(git rev-parse --short "$1"))"; fi
}
printf 'A: %s, gateway on %s%s\nB: %s, gateway on %s%s; every other service built from B\n' \
  "$(describe "$REV_A")" "$PORT" "${TWINS_ENV_A:+, with $TWINS_ENV_A}" \
  "$(describe "$REV_B")" "$PORT_B" "${TWINS_ENV_B:+, with $TWINS_ENV_B}" >"$CCAPI_DATA_DIR/revisions.txt"

ensure_rabbitmq "$AMQP_PORT"
ensure_redis "$REDIS_PORT"
PORT=$MOCK_PORT node "$MOCK_JS" >"$CCAPI_DATA_DIR/mock-upstream.log" 2>&1 &
MOCK_PID=$!
wait_port "$MOCK_PORT" 10 || { echo "the mock provider did not start; see $CCAPI_DATA_DIR/mock-upstream.log" >&2; exit 1; }

API_KEY=sk-twins-$(random_hex 24)
SIGNING_KEY=$(random_hex 32)
WEBHOOK_SECRET=whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')
COMMON=("ConnectionStrings__RabbitMq=amqp://guest:guest@127.0.0.1:$AMQP_PORT/" "ConnectionStrings__Redis=127.0.0.1:$REDIS_PORT")
GATEWAY_ENV=("${COMMON[@]}" "Services__CatalogUrl=http://127.0.0.1:$((PORT + 1))" "Services__JobStatusUrl=http://127.0.0.1:$((PORT + 2))"
  "BlobUrls__SigningKey=$SIGNING_KEY" "BlobUrls__PublicBaseUrl=http://127.0.0.1:$PORT" "Auth__BootstrapApiKey=$API_KEY"
  "Auth__AdminApiKey=admin-twins-$(random_hex 24)" "Webhooks__Secret=$WEBHOOK_SECRET" ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"})

log "starting the shared services (B) and both gateways"
export CCAPI_ROOT=$TREE_B
start_service CCApi.Catalog $((PORT + 1)) "${COMMON[@]}" "Catalog__DefinitionPath=$TREE_B/deploy/catalog.json"
start_service CCApi.JobStatus $((PORT + 2)) "${COMMON[@]}" "BlobUrls__SigningKey=$SIGNING_KEY" \
  "BlobUrls__PublicBaseUrl=http://127.0.0.1:$PORT" "Webhooks__Secret=$WEBHOOK_SECRET"
start_service CCApi.Adapters.OpenAI $((PORT + 11)) "${COMMON[@]}" OPENAI_API_KEY=sk-mock \
  "OPENAI_BASE_URL=http://127.0.0.1:$MOCK_PORT/v1" OutboundUrls__AllowPrivateNetworks=true
wait_ready CCApi.Catalog $((PORT + 1)) 60
start_service "CCApi.Gateway#B" "$PORT_B" "${GATEWAY_ENV[@]}" ${ENV_B[@]+"${ENV_B[@]}"}
CCAPI_ROOT=$TREE_A start_service "CCApi.Gateway#A" "$PORT" "${GATEWAY_ENV[@]}" ${ENV_A[@]+"${ENV_A[@]}"} # the supervisor keeps A's tree
wait_ready CCApi.JobStatus $((PORT + 2)) 60
wait_ready CCApi.Adapters.OpenAI $((PORT + 11)) 60
wait_ready "CCApi.Gateway#A" "$PORT" 60
wait_ready "CCApi.Gateway#B" "$PORT_B" 60
for p in "$PORT" "$PORT_B"; do
  for ((i = 0; i < 300; i++)); do
    status=$(curl -fsS --max-time 2 -H "Authorization: Bearer $API_KEY" "http://127.0.0.1:$p/v1/providers/openai" 2>/dev/null | jq -r '.status // empty' || true)
    [ "$status" = available ] && break
    sleep 0.1
  done
  [ "$status" = available ] || { echo "provider openai not available through the gateway on $p" >&2; exit 1; }
done

SYNC_BODY='{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Say hi in five words."}],"max_tokens":16}'
STREAM_BODY=${SYNC_BODY%\}}',"stream":true}'
DIRECT_BODY=${STREAM_BODY/openai\/gpt-4o-mini/gpt-4o-mini}
export BENCH_METHOD=POST BENCH_KEY=$API_KEY

RABBIT_PID=$(rabbitmq_vm_pid)
others() { # every shared process: the services of B, RabbitMQ's VM, Redis
  local n
  for n in CCApi.Catalog CCApi.JobStatus CCApi.Adapters.OpenAI; do current_pid "$n"; done
  awk '$1 == "redis" {print $2}' "$CCAPI_DATA_DIR/started.pids"
  echo "$RABBIT_PID"
}
ticks() { # pids...: their utime+stime (clock ticks)
  local t=0 p f
  for p in "$@"; do
    f=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    t=$((t + f))
  done
  echo "$t"
}
HZ=$(getconf CLK_TCK)

point() { # twin port kind connections seconds: prints one line
  local twin=$1 port=$2 kind=$3 conns=$4 secs=$5 gw rest g0 r0 out n metrics
  gw=$(current_pid "CCApi.Gateway#$twin")
  read -r -a rest <<<"$(others | tr '\n' ' ')"
  g0=$(ticks "$gw") r0=$(ticks "${rest[@]}")
  if [ "$kind" = stream ]; then
    out=$(python3 "$BENCH_DIR/lib/ttft.py" "$secs" 1 "http://127.0.0.1:$port/v1/chat/completions" "$API_KEY" "$STREAM_BODY" \
      "http://127.0.0.1:$MOCK_PORT/v1/chat/completions" "$DIRECT_BODY")
    n=$(jq '.pairs' <<<"$out")
    metrics=$(jq -r '"ttft_added=\(.added_p50_ms * 1000 | round / 1000) ttft=\(.gateway.ttft_p50_ms * 1000 | round / 1000)"' <<<"$out")
  else
    out=$(BENCH_BODY=$SYNC_BODY wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$BENCH_DIR/wrk/request.lua" "http://127.0.0.1:$port/v1/chat/completions")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    metrics="rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out") p50=$(awk '$1 == "50%" {print $2}' <<<"$out")"
  fi
  [[ $n =~ ^[1-9][0-9]*$ ]] || n=1
  echo "$twin $kind c=$conns n=$n $metrics gw_us=$((($(ticks "$gw") - g0) * 1000000 / HZ / n)) rest_us=$((($(ticks "${rest[@]}") - r0) * 1000000 / HZ / n))"
}

log "warming both gateways (10 s at 16 connections, 3 s of streams each)"
for p in "$PORT" "$PORT_B"; do
  BENCH_BODY=$SYNC_BODY wrk -t1 -c16 -d10s -s "$BENCH_DIR/wrk/request.lua" "http://127.0.0.1:$p/v1/chat/completions" >/dev/null
  python3 "$BENCH_DIR/lib/ttft.py" 3 1 "http://127.0.0.1:$p/v1/chat/completions" "$API_KEY" "$STREAM_BODY" \
    "http://127.0.0.1:$MOCK_PORT/v1/chat/completions" "$DIRECT_BODY" >/dev/null
done

POINTS_FILE="$CCAPI_DATA_DIR/points.txt"
: >"$POINTS_FILE"
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then order="A:$PORT B:$PORT_B"; else order="B:$PORT_B A:$PORT"; fi
  for spec in $POINTS; do
    IFS=, read -r kind conns secs <<<"$spec"
    for twin in $order; do
      point "${twin%%:*}" "${twin#*:}" "$kind" "$conns" "$secs" | tee -a "$POINTS_FILE" >&2
    done
  done
  log "round $r of $ROUNDS done"
done

for twin in A B; do # memory of each gateway: now (the last twin measured may not have been quiet long) and its peak
  awk -v t="$twin" '/^VmRSS/ {r = $2} /^VmHWM/ {h = $2} END {printf "Gateway %s: RSS %.0f MiB after the rounds, peak %.0f MiB\n", t, r / 1024, h / 1024}' \
    "/proc/$(current_pid "CCApi.Gateway#$twin")/status"
done >>"$CCAPI_DATA_DIR/revisions.txt"
python3 "$BENCH_DIR/lib/twins.py" "$POINTS_FILE" "$CCAPI_DATA_DIR/revisions.txt" | tee "$CCAPI_DATA_DIR/summary.md"
