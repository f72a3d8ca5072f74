#!/usr/bin/env bash
# CCAPI benchmark harness (design §6). One run, on this machine, side by side:
#   - its own RabbitMQ and Redis (scripts/infra.sh) on bench ports, data under .data/bench (git-ignored);
#   - a Release build, then the four services (scripts/services.sh) started one after another, each timed from process
#     start to /health/ready;
#   - wrk against 127.0.0.1 only: GET /health/live (baseline: same gateway process, no auth, no bus) and
#     POST /v1/chat/completions (full path: HTTP in -> command -> adapter -> event -> HTTP out) at each connection count;
#   - RSS of every process after the load; CPU of every process during each point;
#   - a second, short phase with span files on (gateway and adapter restarted) to split the 1-connection latency into
#     gateway, bus and adapter time;
#   - issue 10's streaming, async-job and adapter-replica phases (below), after the peer comparison;
#   - bench/results/<date>-<label>.md and bench/results/raw/<date>-<label>/ (raw wrk outputs, small text files).
# Everything it started is stopped on exit (Ctrl-C included), and only that. Noise from other processes on the machine
# is measured per point and handled as bench/README.md describes (BENCH_MAX_OTHER, BENCH_QUIET_BUDGET, BENCH_RETRIES).
#
#   BENCH_PORT (8180)  gateway port; catalog +1, jobstatus +2, adapter +10
#   BENCH_AMQP_PORT (5674) / BENCH_REDIS_PORT (6381)   private RabbitMQ / Redis (must be free)
#   BENCH_DURATION (15)  seconds per point        BENCH_WARMUP (5)  seconds of warm-up per endpoint
#   BENCH_CONNECTIONS ("1 16 32 64")              BENCH_SPAN_DURATION (8)  seconds of the span phase
#   BENCH_LABEL (local)  results file suffix      BENCH_DATE (today, UTC)
#   BENCH_SOURCE (head)  "head": build and run a clean export of the committed HEAD (under .data/bench/src), so that
#                        the figures belong to one commit even while others edit the tree; "worktree": the tree as is
#   BENCH_SERVICE_ENV    extra VAR=value pairs (space-separated) for every service, for experiments
#                        (e.g. "DOTNET_gcServer=0"); recorded in the report
# Peer comparison (issue 10): ../shared/peer-bench/peer-overhead.sh in the same run, after the points above — wrk
# straight to its mock OpenAI provider, through the Portkey AI Gateway, and through our full path (gateway -> bus ->
# OpenAI adapter -> the same mock); its tables and the ccapi/Portkey ratios are appended to the report.
#   BENCH_PEER (1)       0 skips it (and, with BENCH_STREAM=0 too, the OpenAI adapter and mock provider it needs)
#   BENCH_PEER_DURATION / BENCH_PEER_CONNECTIONS (BENCH_DURATION / BENCH_CONNECTIONS)  seconds per row / connections
#   BENCH_PEER_WARMUP (2) / BENCH_PEER_PRIME (20)  warm-up per row / untimed load per target before any row
#                        (Portkey needs ~10k requests to reach steady state)
#   BENCH_MOCK_PORT (18280) / BENCH_PORTKEY_PORT (8887)  the mock provider's and Portkey's ports (must be free)
#   BENCH_PEER_SRC (../shared/peer-bench)  copied to .data/bench/peer-bench, where npm installs Portkey on first use
#                        (if that fails the report says so and the comparison runs without Portkey)
# Issue 10's other goals, each a phase after the peer comparison (before the span phase), each skipped with its =0:
#   BENCH_STREAM (1)     streaming: time to first token of `"stream": true` chat completions through the gateway (OpenAI
#                        adapter -> peer-bench's mock) and straight to the mock, interleaved one at a time on one
#                        connection each (lib/ttft.py); needs the OpenAI adapter and the mock, started even with BENCH_PEER=0
#   BENCH_STREAM_DURATION (BENCH_DURATION)  seconds of the phase (after 2 s unrecorded)
#   BENCH_JOBS (1)       async jobs: POST /v1/images/generate (local/pixel-async-1, 202 + job id) closed loop at
#                        BENCH_JOBS_CONNECTIONS ("16 64"), then GET /v1/images/jobs/{id} over BENCH_POLL_IDS (16) finished
#                        jobs at a fixed BENCH_POLL_RATE (1000) req/s on BENCH_POLL_CONNECTIONS (16) (wrk/paced-get.lua);
#                        the submitted jobs' backlog is purged from local-image-async after the submits
#   BENCH_JOBS_DURATION (BENCH_DURATION)  seconds per submit point and of the poll point
#   BENCH_REPLICAS (1)   scaling: chat through the OpenAI adapter against a second mock that answers after
#                        BENCH_REPLICA_DELAY_MS (200), with one then two adapter replicas on the same queue, each
#                        OpenAI__ChatConcurrencyLimit=BENCH_REPLICA_LIMIT (32), at BENCH_REPLICA_CONNECTIONS (4 x limit)
#   BENCH_REPLICA_DURATION (BENCH_DURATION)  seconds per replica count (after 3 s unrecorded)
#   BENCH_SLOW_MOCK_PORT (BENCH_MOCK_PORT + 1)  the delayed mock's port; replica 2 listens on the gateway port + 12
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
cd "$REPO"
export CCAPI_DATA_DIR="$REPO/.data/bench"
export CCAPI_CONFIGURATION=Release

PORT=${BENCH_PORT:-8180}
AMQP_PORT=${BENCH_AMQP_PORT:-5674}
REDIS_PORT=${BENCH_REDIS_PORT:-6381}
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-5}
SPAN_DURATION=${BENCH_SPAN_DURATION:-8}
read -r -a CONNECTIONS <<<"${BENCH_CONNECTIONS:-1 16 32 64}"
read -r -a EXTRA_ENV <<<"${BENCH_SERVICE_ENV:-}"
SOURCE=${BENCH_SOURCE:-head}
LABEL=${BENCH_LABEL:-local}
DATE=${BENCH_DATE:-$(date -u +%F)}
RESULTS="$BENCH_DIR/results"
RAW="$RESULTS/raw/$DATE-$LABEL"
REPORT="$RESULTS/$DATE-$LABEL.md"
WORK="$CCAPI_DATA_DIR/run" # per-run scratch (points, spans, env), git-ignored
PEER=${BENCH_PEER:-1}
PEER_SRC=${BENCH_PEER_SRC:-$REPO/../shared/peer-bench}
PEER_DIR="$CCAPI_DATA_DIR/peer-bench" # the scratch copy of PEER_SRC; npm installs Portkey into its peer/
PEER_DURATION=${BENCH_PEER_DURATION:-$DURATION}
PEER_CONNECTIONS=${BENCH_PEER_CONNECTIONS:-${CONNECTIONS[*]}}
PEER_WARMUP=${BENCH_PEER_WARMUP:-2}
PEER_PRIME=${BENCH_PEER_PRIME:-20}
MOCK_PORT=${BENCH_MOCK_PORT:-18280}
PORTKEY_PORT=${BENCH_PORTKEY_PORT:-8887}
STREAM=${BENCH_STREAM:-1}
STREAM_DURATION=${BENCH_STREAM_DURATION:-$DURATION}
JOBS=${BENCH_JOBS:-1}
read -r -a JOBS_CONNECTIONS <<<"${BENCH_JOBS_CONNECTIONS:-16 64}"
JOBS_DURATION=${BENCH_JOBS_DURATION:-$DURATION}
POLL_RATE=${BENCH_POLL_RATE:-1000}
POLL_CONNECTIONS=${BENCH_POLL_CONNECTIONS:-16}
POLL_IDS=${BENCH_POLL_IDS:-16}
REPLICAS=${BENCH_REPLICAS:-1}
REPLICA_DELAY_MS=${BENCH_REPLICA_DELAY_MS:-200}
REPLICA_LIMIT=${BENCH_REPLICA_LIMIT:-32}
REPLICA_CONNECTIONS=${BENCH_REPLICA_CONNECTIONS:-$((4 * REPLICA_LIMIT))}
REPLICA_DURATION=${BENCH_REPLICA_DURATION:-$DURATION}
SLOW_MOCK_PORT=${BENCH_SLOW_MOCK_PORT:-$((MOCK_PORT + 1))}
for v in PEER STREAM JOBS REPLICAS; do
  case "${!v}" in 0 | 1) ;; *) echo "BENCH_$v must be 0 or 1." >&2; exit 2 ;; esac
done
# The OpenAI adapter and peer-bench's mock provider run from the start when the peer comparison or the streaming phase
# needs them; the replica phase starts its own (against a delayed mock) and needs only node.
OPENAI=$((PEER || STREAM))
MOCK_JS="$PEER_SRC/mock-upstream/server.mjs" # run in place (read-only is fine); the peer phase runs its scratch copy

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
now_ms() { date +%s%3N; }
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# A previous run's leftovers must not be measured as ours: stop what an interrupted run may have left, start clean.
mkdir -p "$CCAPI_DATA_DIR"
# shellcheck source=../scripts/infra.sh
source scripts/infra.sh
# shellcheck source=../scripts/services.sh
source scripts/services.sh
infra_stop
rm -rf "$WORK" "$RAW" "$CCAPI_DATA_DIR/logs" "$CCAPI_DATA_DIR/services.pids"
mkdir -p "$WORK" "$RAW"
case "$SOURCE" in
  head)
    export CCAPI_ROOT="$CCAPI_DATA_DIR/src" # services.sh runs $CCAPI_ROOT/services/<name>/bin/Release/...
    rm -rf "$CCAPI_ROOT" && mkdir -p "$CCAPI_ROOT"
    git archive HEAD | tar -x -m -C "$CCAPI_ROOT" # -m: fresh mtimes, so the build never trusts stale outputs
    ;;
  worktree) export CCAPI_ROOT="$REPO" ;;
  *) echo "BENCH_SOURCE must be 'head' or 'worktree'." >&2; exit 2 ;;
esac

OWN_PORTS=("$AMQP_PORT" "$REDIS_PORT" "$PORT" $((PORT + 1)) $((PORT + 2)) $((PORT + 10)))
if [ "$OPENAI" = 1 ]; then OWN_PORTS+=($((PORT + 11)) "$MOCK_PORT"); fi
if [ "$PEER" = 1 ]; then OWN_PORTS+=("$PORTKEY_PORT"); fi # peer-overhead.sh would use a server it finds
if [ "$REPLICAS" = 1 ]; then OWN_PORTS+=($((PORT + 11)) $((PORT + 12)) "$SLOW_MOCK_PORT"); fi
for p in "${OWN_PORTS[@]}"; do
  if port_open "$p"; then
    echo "Port $p is already in use; the benchmark needs its own servers (set BENCH_PORT / BENCH_AMQP_PORT / BENCH_REDIS_PORT / BENCH_MOCK_PORT / BENCH_PORTKEY_PORT / BENCH_SLOW_MOCK_PORT, or skip phases with BENCH_PEER=0 BENCH_STREAM=0 BENCH_REPLICAS=0)." >&2
    exit 2
  fi
done

MOCK_PID=""
SLOW_MOCK_PID=""
PEER_SID="" # the session peer-overhead.sh runs in while it runs: it, Portkey, timeout and wrk (own process group)
peer_session_pids() { ps -eo pid=,sid= | awk -v s="$PEER_SID" '$2 == s {print $1}'; }
# peer-overhead.sh keeps its raw outputs (wrk per row, preflight answers, results.tsv) in a mktemp directory it names
# on stderr once its servers answer.
peer_tmp_dir() { grep -o 'raw output in /tmp/peer-overhead\.[A-Za-z0-9]*' "$WORK/peer-stderr.txt" 2>/dev/null | head -1 | cut -d' ' -f4 || true; }
cleanup() {
  trap - INT TERM EXIT
  set +e
  local tmp
  log "stopping what the benchmark started"
  if [ -n "$PEER_SID" ]; then
    # shellcheck disable=SC2046 # one pid per word
    kill -TERM $(peer_session_pids) 2>/dev/null
    sleep 1
    # shellcheck disable=SC2046
    kill -KILL $(peer_session_pids) 2>/dev/null
    tmp=$(peer_tmp_dir)
    [ -n "$tmp" ] && rm -rf "$tmp"
  fi
  [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null
  [ -n "$SLOW_MOCK_PID" ] && kill "$SLOW_MOCK_PID" 2>/dev/null
  stop_services
  infra_stop
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (dotnet not on PATH)." >&2; exit 1; }
command -v curl >/dev/null || apt_install curl
command -v jq >/dev/null || apt_install jq
command -v wrk >/dev/null || apt_install wrk
command -v python3 >/dev/null || apt_install python3
if [ "$PEER" = 1 ]; then
  [ -x "$PEER_SRC/peer-overhead.sh" ] ||
    { echo "No peer benchmark at $PEER_SRC (set BENCH_PEER_SRC, or BENCH_PEER=0 to skip the comparison)." >&2; exit 2; }
  command -v node >/dev/null ||
    { echo "The peer comparison needs Node 20+ (node not on PATH); BENCH_PEER=0 skips it." >&2; exit 2; }
fi
if [ "$OPENAI" = 1 ] || [ "$REPLICAS" = 1 ]; then
  [ -f "$MOCK_JS" ] ||
    { echo "No mock provider at $MOCK_JS (set BENCH_PEER_SRC, or BENCH_PEER=0 BENCH_STREAM=0 BENCH_REPLICAS=0)." >&2; exit 2; }
  command -v node >/dev/null ||
    { echo "The mock provider needs Node 20+ (node not on PATH); BENCH_PEER=0 BENCH_STREAM=0 BENCH_REPLICAS=0 skip what needs it." >&2; exit 2; }
fi

# ---------------------------------------------------------------------------------------------------- machine & commit
{
  echo "date_utc=$(date -u +%FT%TZ)"
  echo "nproc=$(nproc)"
  echo "cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "mem_total_mb=$(awk '/^MemTotal/ {print int($2 / 1024)}' /proc/meminfo)"
  echo "kernel=$(uname -r)"
  echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "dotnet_sdk=$(dotnet --version)"
  echo "dotnet_runtime=$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}')"
  echo "wrk=$(dpkg-query -W -f='${Version}' wrk 2>/dev/null || echo unknown)"
  echo "commit=$(git rev-parse HEAD)"
  echo "commit_subject=$(git log -1 --format=%s)"
  echo "source=$SOURCE"
  # With BENCH_SOURCE=worktree: uncommitted changes to what is measured (bench/ itself does not count).
  [ "$SOURCE" = head ] && echo "dirty=0" ||
    echo "dirty=$(git status --porcelain -- services shared deploy CCApi.Services.slnf Directory.Build.props Directory.Packages.props | wc -l)"
  echo "service_env=${EXTRA_ENV[*]}"
  echo "loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "duration_s=$DURATION"
  echo "warmup_s=$WARMUP"
  echo "span_duration_s=$SPAN_DURATION"
  echo "max_other=${BENCH_MAX_OTHER:-25}"
  echo "peer=$PEER"
  echo "stream=$STREAM"
  echo "jobs=$JOBS"
  echo "replicas=$REPLICAS"
} >"$WORK/env"

# ------------------------------------------------------------------------------------------ peer comparison: scratch
# The shared folder is read-only: it is copied afresh every run, keeping the previous copy's Portkey install while the
# lock file is unchanged. npm runs here, before anything is measured; if it fails the run goes on without Portkey and
# the report says so.
PEER_NOTES=() # sentences the report must carry about the comparison
SKIP_PORTKEY=0
peer_prepare() {
  local kept="$CCAPI_DATA_DIR/peer-node_modules" rc=0
  rm -rf "$kept"
  # npm may rewrite the copy's lock file, so the install remembers the lock file it was made from.
  if cmp -s "$PEER_DIR/peer/node_modules/.installed-from-package-lock.json" "$PEER_SRC/peer/package-lock.json"; then
    mv "$PEER_DIR/peer/node_modules" "$kept"
  fi
  rm -rf "$PEER_DIR"
  cp -r "$PEER_SRC" "$PEER_DIR"
  chmod -R u+w "$PEER_DIR"
  if [ -d "$kept" ]; then mv "$kept" "$PEER_DIR/peer/node_modules"; fi
  [ -d "$PEER_DIR/peer/node_modules/@portkey-ai/gateway" ] && return 0
  if ! command -v npm >/dev/null; then
    PEER_NOTES+=("npm is not on PATH, so Portkey could not be installed: **this run has no Portkey column**.")
  else
    log "installing Portkey into ${PEER_DIR#"$REPO"/}/peer with npm (first use)"
    (cd "$PEER_DIR/peer" && timeout 600 npm install --no-audit --no-fund) >"$WORK/peer-npm-install.log" 2>&1 || rc=$?
    if [ "$rc" = 0 ] && [ -d "$PEER_DIR/peer/node_modules/@portkey-ai/gateway" ]; then
      cp "$PEER_SRC/peer/package-lock.json" "$PEER_DIR/peer/node_modules/.installed-from-package-lock.json"
      return 0
    fi
    rm -rf "$PEER_DIR/peer/node_modules" # a half install must not pass for one next time
    PEER_NOTES+=("\`npm install\` of Portkey failed (exit $rc), so **this run has no Portkey column**; npm's output is in \`peer/npm-install.log\`.")
  fi
  SKIP_PORTKEY=1
  log "WARNING: ${PEER_NOTES[-1]//\*/} The comparison runs without Portkey."
}
if [ "$PEER" = 1 ]; then peer_prepare; fi

# ------------------------------------------------------------------------------------------------------- infra & build
ensure_rabbitmq "$AMQP_PORT"
ensure_redis "$REDIS_PORT"
{ # their versions once installed (a fresh machine installs them just above)
  echo "rabbitmq=$(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo unknown)"
  echo "redis=$(redis-server --version | grep -o 'v=[^ ]*' | cut -d= -f2)"
} >>"$WORK/env"
ensure_media_tools # the local adapter's readiness check wants espeak-ng

log "building Release ($SOURCE: ${CCAPI_ROOT#"$REPO"/})"
(cd "$CCAPI_ROOT" && dotnet build CCApi.Services.slnf -c Release -nologo -clp:ErrorsOnly -v:q)

# ------------------------------------------------------------------------------------------------------------ services
API_KEY=sk-bench-$(random_hex 24)
ADMIN_KEY=admin-bench-$(random_hex 24)
SIGNING_KEY=$(random_hex 32)
WEBHOOK_SECRET=whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')
PUBLIC_URL=http://127.0.0.1:$PORT
COMMON=("ConnectionStrings__RabbitMq=amqp://guest:guest@127.0.0.1:$AMQP_PORT/" "ConnectionStrings__Redis=127.0.0.1:$REDIS_PORT"
  ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"})
CATALOG_ENV=("${COMMON[@]}" "Catalog__DefinitionPath=$CCAPI_ROOT/deploy/catalog.json")
JOBSTATUS_ENV=("${COMMON[@]}" "BlobUrls__SigningKey=$SIGNING_KEY" "BlobUrls__PublicBaseUrl=$PUBLIC_URL"
  "Webhooks__Secret=$WEBHOOK_SECRET")
ADAPTER_ENV=("${COMMON[@]}")
# The peer comparison's path: the OpenAI adapter against peer-bench's mock provider on loopback, allowed to reach it
# as run.sh's CCAPI_ADAPTERS_ALLOW_PRIVATE=1 allows a local emulator upstream.
OPENAI_ENV=("${COMMON[@]}" OPENAI_API_KEY=sk-mock "OPENAI_BASE_URL=http://127.0.0.1:$MOCK_PORT/v1"
  OutboundUrls__AllowPrivateNetworks=true)
PEER_MODEL=openai/gpt-4o-mini
PEER_BODY="{\"model\":\"$PEER_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi in five words.\"}],\"max_tokens\":16}"
GATEWAY_ENV=("${COMMON[@]}" "Services__CatalogUrl=http://127.0.0.1:$((PORT + 1))"
  "Services__JobStatusUrl=http://127.0.0.1:$((PORT + 2))" "BlobUrls__SigningKey=$SIGNING_KEY"
  "BlobUrls__PublicBaseUrl=$PUBLIC_URL" "Auth__BootstrapApiKey=$API_KEY" "Auth__AdminApiKey=$ADMIN_KEY"
  "Webhooks__Secret=$WEBHOOK_SECRET")

cpu_snapshot() { python3 "$BENCH_DIR/lib/cpusnap.py" $$ >"$1"; } # per-process and machine CPU ticks; wrk via $$'s children
tracked_pids() { local n; for n in "${TRACKED[@]}"; do echo "$n=${PID[$n]}"; done; }

# Others share this machine (builds, test runs). Before each point: wait (within a run-wide budget) until processes
# that are not ours use less than MAX_OTHER % of a core; after it: a point during which they used more is measured once
# more (within a retry budget) and the less disturbed of the two is kept. The report shows others' CPU for every point.
MAX_OTHER=${BENCH_MAX_OTHER:-25}
QUIET_BUDGET=${BENCH_QUIET_BUDGET:-60} # seconds of waiting for a quiet machine, whole run
RETRY_BUDGET=${BENCH_RETRIES:-3}       # re-measured points, whole run
wait_quiet() { # max-seconds
  local i o=0 pids=()
  for n in "${TRACKED[@]}"; do [ -n "${PID[$n]:-}" ] && pids+=("${PID[$n]}"); done
  for ((i = 0; i < $1 && QUIET_BUDGET > 0; i++)); do
    o=$(python3 "$BENCH_DIR/lib/quiet.py" 1 "${pids[@]}")
    ((o < MAX_OTHER)) && return 0
    ((QUIET_BUDGET--)) || true
  done
  ((o < MAX_OTHER)) || log "others are using ${o}% of a core; measuring anyway"
}

declare -A PID SUPERVISOR READY_MS
TRACKED=(CCApi.Gateway CCApi.Adapters.Local CCApi.JobStatus CCApi.Catalog rabbitmq redis)
PID[rabbitmq]=$(rabbitmq_vm_pid)
PID[redis]=$(awk '$1 == "redis" {print $2}' "$CCAPI_DATA_DIR/started.pids")
log "tracking rabbitmq pid ${PID[rabbitmq]} ($(cat "/proc/${PID[rabbitmq]}/comm")), redis pid ${PID[redis]}"

# Starts one service and times process start -> first 200 from /health/ready (polled every 20 ms).
start_timed() { # name port env...
  local name=$1 port=$2 t0 i
  t0=$(now_ms)
  start_service "$@"
  SUPERVISOR[$name]=${SERVICE_PIDS[-1]} # run.sh's supervisor (stopping it stops the service for good)
  for ((i = 0; ; i++)); do
    PID[$name]=$(current_pid "$name") # the dotnet process itself: what CPU and RSS are read from
    if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/health/ready" 2>/dev/null; then break; fi
    if ! kill -0 "${SUPERVISOR[$name]}" 2>/dev/null; then
      echo "$name exited; last lines of $CCAPI_DATA_DIR/logs/$name.log:" >&2
      tail -n 30 "$CCAPI_DATA_DIR/logs/$name.log" >&2
      return 1
    fi
    if (($(now_ms) - t0 > 60000)); then echo "$name was not ready within 60 s" >&2; return 1; fi
    sleep 0.02
  done
  READY_MS[$name]=$(($(now_ms) - t0))
  log "$name ready in ${READY_MS[$name]} ms (pid ${PID[$name]}, port $port)"
}

stop_one() { # name: SIGTERM one service started here, wait for it, forget it
  local name=$1 pid=${SUPERVISOR[$1]} i rest=()
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  for p in "${SERVICE_PIDS[@]}"; do [ "$p" != "$pid" ] && rest+=("$p"); done
  SERVICE_PIDS=("${rest[@]}")
}

wait_provider_available() { # provider
  local i status=""
  for ((i = 0; i < 300; i++)); do
    status=$(curl -fsS --max-time 2 -H "Authorization: Bearer $API_KEY" "$PUBLIC_URL/v1/providers/$1" 2>/dev/null | jq -r '.status // empty' 2>/dev/null || true)
    [ "$status" = available ] && return 0
    sleep 0.1
  done
  echo "provider '$1' did not become available (last status: '${status:-none}')" >&2
  return 1
}

# One after another, so each time-to-ready is the service's own, not a fight for the two cores (run.sh starts the
# first three together); Catalog first so the adapter's first heartbeat and the gateway's first snapshot find it.
if [ "$OPENAI" = 1 ]; then # the mock provider runs the whole time (idle until the peer phase) so the path is checked first
  PORT=$MOCK_PORT node "$MOCK_JS" >"$WORK/mock-upstream.log" 2>&1 &
  MOCK_PID=$!
  for ((i = 0; i < 100; i++)); do port_open "$MOCK_PORT" && break; sleep 0.1; done
  port_open "$MOCK_PORT" || { echo "peer-bench's mock provider did not start:" >&2; cat "$WORK/mock-upstream.log" >&2; exit 1; }
  TRACKED+=(CCApi.Adapters.OpenAI mock-upstream)
  PID[mock-upstream]=$MOCK_PID
fi
log "starting services"
wait_quiet 10
start_timed CCApi.Catalog $((PORT + 1)) "${CATALOG_ENV[@]}"
start_timed CCApi.JobStatus $((PORT + 2)) "${JOBSTATUS_ENV[@]}"
start_timed CCApi.Adapters.Local $((PORT + 10)) "${ADAPTER_ENV[@]}"
if [ "$OPENAI" = 1 ]; then start_timed CCApi.Adapters.OpenAI $((PORT + 11)) "${OPENAI_ENV[@]}"; fi
start_timed CCApi.Gateway "$PORT" "${GATEWAY_ENV[@]}"
t0=$(now_ms)
wait_provider_available local
log "provider local available $(($(now_ms) - t0)) ms after the gateway was ready"
if [ "$OPENAI" = 1 ]; then wait_provider_available openai; fi
for name in "${!READY_MS[@]}"; do echo "ready_ms.$name=${READY_MS[$name]}"; done >>"$WORK/env"

CHAT_BODY='{"model":"local/echo-1","messages":[{"role":"user","content":"Hello, benchmark."}]}'
# Smoke test: the full path answers 200 with a completion before anything is timed.
curl -fsS --max-time 10 -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' -d "$CHAT_BODY" \
  "$PUBLIC_URL/v1/chat/completions" >"$RAW/smoke-chat-response.json"
jq -e '.choices[0].message.content | length > 0' "$RAW/smoke-chat-response.json" >/dev/null
log "smoke test ok: $(jq -c '.choices[0].message.content' "$RAW/smoke-chat-response.json" | cut -c1-80)"
if [ "$OPENAI" = 1 ]; then # the peer comparison's (and streaming phase's) path, before minutes are spent on the points
  curl -fsS --max-time 10 -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' -d "$PEER_BODY" \
    "$PUBLIC_URL/v1/chat/completions" >"$RAW/smoke-openai-response.json"
  jq -e '.choices[0].message.content | length > 0' "$RAW/smoke-openai-response.json" >/dev/null
  log "smoke test ok through the OpenAI adapter and the mock provider: $(jq -c '.choices[0].message.content' "$RAW/smoke-openai-response.json" | cut -c1-80)"
fi

# Accounts on: a client key with credits and limits (generous, never reached), measured beside the bootstrap key (no
# credits, no limits) on the same path in the same run: the difference is what keys, limits and credits cost.
ACCOUNTS_KEY=$(curl -fsS --max-time 10 -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' \
  -d '{"name":"bench-accounts","credits_usd":1000000,"limits":{"rpm":1000000000,"tpm":1000000000000,"concurrency":100000}}' \
  "$PUBLIC_URL/admin/v1/keys" | jq -r .key)
curl -fsS --max-time 10 -H "Authorization: Bearer $ACCOUNTS_KEY" -H 'Content-Type: application/json' -d "$CHAT_BODY" \
  "$PUBLIC_URL/v1/chat/completions" | jq -e '.usage.cost_usd != null' >/dev/null
log "accounts key ok (credits + limits): $(curl -fsS -H "Authorization: Bearer $ACCOUNTS_KEY" "$PUBLIC_URL/v1/key" | jq -c '{credits_usd,reserved_usd,limits}')"

# ---------------------------------------------------------------------------------------------------- load generation
# run_point <scenario> <connections> <seconds> <record: yes|no>; recorded points are appended to $POINTS_FILE
run_point() {
  local scenario=$1 conns=$2 secs=$3 record=$4 threads=2 t0 t1 out
  ((conns < threads)) && threads=$conns # wrk needs at least one connection per thread
  out="$RAW/$scenario-c$conns.txt"
  [ "$record" = yes ] || out="$WORK/warmup-$scenario-c$conns.txt"
  local env url="$PUBLIC_URL/v1/chat/completions" script="$BENCH_DIR/wrk/request.lua"
  case "$scenario" in
    health) env=(BENCH_METHOD=GET BENCH_BODY= BENCH_KEY=) url="$PUBLIC_URL/health/live" ;;
    chat) env=(BENCH_METHOD=POST "BENCH_BODY=$CHAT_BODY" "BENCH_KEY=$API_KEY") ;;
    chat-accounts) env=(BENCH_METHOD=POST "BENCH_BODY=$CHAT_BODY" "BENCH_KEY=$ACCOUNTS_KEY") ;;
    chat-openai | replicas-*) env=(BENCH_METHOD=POST "BENCH_BODY=$PEER_BODY" "BENCH_KEY=$API_KEY") ;; # replicas: the slow mock
    jobs-submit) env=(BENCH_METHOD=POST "BENCH_BODY=$JOB_BODY" "BENCH_KEY=$API_KEY") url="$PUBLIC_URL/v1/images/generate" ;;
    jobs-poll)
      env=("BENCH_PATHS=$POLL_PATHS" "BENCH_RATE=$POLL_RATE" "BENCH_THREADS=$threads" "BENCH_KEY=$API_KEY")
      url=$PUBLIC_URL script="$BENCH_DIR/wrk/paced-get.lua"
      ;;
    *) echo "run_point: unknown scenario $scenario" >&2; return 1 ;;
  esac
  local attempt other best_other=-1
  for attempt in 1 2; do
    [ "$record" = yes ] && wait_quiet 10
    cpu_snapshot "$WORK/cpu-before.json"
    t0=$(now_ms)
    env "${env[@]}" wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency -s "$script" "$url" >"$out.try$attempt" 2>&1
    t1=$(now_ms)
    cpu_snapshot "$WORK/cpu-after.json"
    local line
    line=$(grep '^BENCH ' "$out.try$attempt" | sed 's/^BENCH //')
    [ -n "$line" ] || { echo "wrk produced no summary:" >&2; cat "$out.try$attempt" >&2; return 1; }
    if [ "$record" != yes ]; then
      mv "$out.try$attempt" "$out"
      log "$scenario c=$conns (not in the table): $(echo "$line" | grep -oE '\b(rps|p50_us|p99_us|non2xx)=[^ ]*' | tr '\n' ' ')"
      return 0
    fi
    # shellcheck disable=SC2046
    python3 "$BENCH_DIR/lib/point.py" "$scenario" "$conns" "$threads" $((t1 - t0)) "$out.try$attempt" "$WORK/cpu-before.json" \
      "$WORK/cpu-after.json" $(tracked_pids) >"$WORK/point.try$attempt"
    other=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(round(p["cpu_ticks"]["other"] * 1000 / p["wall_ms"]))' "$WORK/point.try$attempt")
    log "$scenario c=$conns: $(echo "$line" | grep -oE '\b(rps|p50_us|p99_us|non2xx)=[^ ]*' | tr '\n' ' ')others ${other}%"
    if ((best_other < 0 || other < best_other)); then best_other=$other; cp "$WORK/point.try$attempt" "$WORK/point.best"; cp "$out.try$attempt" "$out"; fi
    ((other < MAX_OTHER || RETRY_BUDGET <= 0)) && break
    ((RETRY_BUDGET--)) || true
    log "others used ${other}% of a core during $scenario c=$conns; measuring it once more"
  done
  [ -f "$out.try2" ] && mv "$out.try1" "${out%.txt}-attempt1.txt" && mv "$out.try2" "${out%.txt}-attempt2.txt"
  rm -f "$out.try1"
  python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); p["attempts"]=int(sys.argv[2]); print(json.dumps(p))' \
    "$WORK/point.best" "$attempt" >>"$POINTS_FILE"
}
POINTS_FILE="$WORK/points.jsonl" # the phases after the peer comparison record theirs in phases.jsonl

log "warm-up (${WARMUP} s per endpoint, not recorded)"
run_point health 16 "$WARMUP" no
run_point chat 16 "$WARMUP" no
run_point chat-accounts 16 "$WARMUP" no
# The peer comparison's path too, so the OpenAI adapter's JIT is not in the peer phase's CPU per request.
if [ "$OPENAI" = 1 ]; then run_point chat-openai 16 "$WARMUP" no; fi
sleep 1

log "measuring (${DURATION} s per point)"
for c in "${CONNECTIONS[@]}"; do
  run_point health "$c" "$DURATION" yes
  sleep 1
  run_point chat "$c" "$DURATION" yes
  sleep 2 # let in-flight commands and JobStatus' event backlog drain before the next point
  run_point chat-accounts "$c" "$DURATION" yes
  sleep 2
done

# RSS right after the load (VmHWM: the peak since the process started), and once the services have been quiet long enough
# to hand their GC's unused memory back (ServiceDefaults' IdleHeap:QuietPeriod, 5 s, + 3 s).
for name in "${TRACKED[@]}"; do
  awk -v n="$name" '/^VmRSS/ {r = $2} /^VmHWM/ {h = $2} END {printf "rss_kb.%s=%d\nhwm_kb.%s=%d\n", n, r, n, h}' "/proc/${PID[$name]}/status"
done >>"$WORK/env"
sleep 8
for name in "${TRACKED[@]}"; do
  awk -v n="$name" '/^VmRSS/ {printf "rss_settled_kb.%s=%d\n", n, $2}' "/proc/${PID[$name]}/status"
done >>"$WORK/env"
echo "loadavg_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/env"
redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r' | grep '^cmdstat_' >"$RAW/redis-commandstats.txt" || true
redis-cli -p "$REDIS_PORT" info stats | tr -d '\r' | grep -E '^total_commands_processed' >>"$RAW/redis-commandstats.txt" || true
"${RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}/rabbitmqctl" -n "ccapi-$AMQP_PORT@localhost" list_queues name messages consumers \
  2>/dev/null >"$RAW/rabbitmq-queues-after.txt" </dev/null || true

# ----------------------------------------------------------------------------------------------------- peer comparison
# peer-overhead.sh interleaves, per connection count: wrk straight to the mock, through Portkey (which it starts), and
# through our gateway (already running, routed to the same mock by the OpenAI adapter). Its own CPU column sees only the
# process it is given (our gateway); the CPU of all our processes is snapshotted around the whole phase, during which
# they serve only its ccapi rows, for a per-request figure per process (lib/peer.py).
PEER_RC=0
run_peer() { # skip-portkey (0|1)
  local rc=0 tmp
  mkdir -p "$RAW/peer"
  wait_quiet 10
  log "peer comparison: direct, $([ "$1" = 1 ] && echo "no Portkey" || echo Portkey), ccapi at [$PEER_CONNECTIONS] connections, ${PEER_DURATION} s per row (+${PEER_WARMUP} s warm-up, ${PEER_PRIME} s priming per target)"
  tracked_pids >"$WORK/peer-pids"
  cpu_snapshot "$WORK/peer-cpu-before.json"
  # Its own session, so everything it starts (Portkey, wrk) can be found and stopped if this run is interrupted.
  DURATION=$PEER_DURATION WARMUP=$PEER_WARMUP PRIME=$PEER_PRIME CONCURRENCY=$PEER_CONNECTIONS MOCK_PORT=$MOCK_PORT \
    PORTKEY_PORT=$PORTKEY_PORT SKIP_PORTKEY=$1 REPORT="$WORK/peer-report.md" GATEWAY_BASE_URL="$PUBLIC_URL/v1" \
    GATEWAY_KEY=$API_KEY GATEWAY_NAME=ccapi GATEWAY_MODEL=$PEER_MODEL GATEWAY_PID=${PID[CCApi.Gateway]} \
    setsid "$PEER_DIR/peer-overhead.sh" >/dev/null 2>"$WORK/peer-stderr.txt" </dev/null &
  PEER_SID=$!
  wait "$PEER_SID" || rc=$?
  PEER_SID=""
  cpu_snapshot "$WORK/peer-cpu-after.json"
  tmp=$(peer_tmp_dir)
  if [ -n "$tmp" ] && [ -d "$tmp" ]; then cp -r "$tmp/." "$RAW/peer/" && rm -rf "$tmp"; fi
  cp "$WORK/peer-stderr.txt" "$RAW/peer/peer-overhead-stderr.txt"
  return "$rc"
}
if [ "$PEER" = 1 ]; then
  run_peer "$SKIP_PORTKEY" || PEER_RC=$?
  if [ "$PEER_RC" != 0 ] && [ "$SKIP_PORTKEY" = 0 ] && grep -qE 'portkey did not start|preflight failed for portkey' "$WORK/peer-stderr.txt"; then
    PEER_NOTES+=("Portkey did not serve (peer-overhead.sh: \`$(grep -m1 -E 'portkey did not start|preflight failed for portkey' "$WORK/peer-stderr.txt")\`), so the comparison was run again **without the Portkey column**; the failed attempt's stderr is \`peer/peer-overhead-stderr-portkey-failed.txt\`.")
    log "WARNING: Portkey did not serve; running the comparison again without it"
    mv "$RAW/peer/peer-overhead-stderr.txt" "$RAW/peer/peer-overhead-stderr-portkey-failed.txt"
    SKIP_PORTKEY=1 PEER_RC=0
    run_peer 1 || PEER_RC=$?
  fi
  [ "$PEER_RC" = 0 ] || log "ERROR: peer-overhead.sh failed (exit $PEER_RC); the report says so. Its stderr: ${RAW#"$REPO"/}/peer/peer-overhead-stderr.txt"
  if [ "$SKIP_PORTKEY" = 1 ] && [ -f "$WORK/peer-npm-install.log" ]; then # hosts left out: the raw files are committed
    sed -E 's#[a-z]+://[^/ ]+#<host>#g' "$WORK/peer-npm-install.log" >"$RAW/peer/npm-install.log"
  fi
  {
    echo "rc=$PEER_RC"
    echo "skip_portkey=$SKIP_PORTKEY"
    echo "connections=$PEER_CONNECTIONS"
    echo "duration_s=$PEER_DURATION"
    echo "warmup_s=$PEER_WARMUP"
    echo "prime_s=$PEER_PRIME"
    echo "model=$PEER_MODEL"
    echo "node=$(node --version)"
  } >"$WORK/peer-env"
  printf '%s\n' ${PEER_NOTES[@]+"${PEER_NOTES[@]}"} >"$WORK/peer-notes"
fi

# ------------------------------------------------------------------------------------- issue 10's other goals (phases)
# Streaming, async jobs and adapter replicas: each after the peer comparison, each skippable (header). Their points go
# to phases.jsonl (same JSON as the points above: wrk summary + CPU per process), their settings to phases-env, and
# lib/phases.py writes their sections of the report.
POINTS_FILE="$WORK/phases.jsonl"
: >"$POINTS_FILE"
: >"$WORK/phases-env"
phase_env() { printf '%s\n' "$@" >>"$WORK/phases-env"; }
rabbitmqctl_() { "${RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}/rabbitmqctl" -n "ccapi-$AMQP_PORT@localhost" -q "$@" </dev/null 2>/dev/null; }
queue_field() { # queue field: one column of list_queues for one queue (empty if it does not exist)
  { rabbitmqctl_ list_queues name "$2" || true; } | awk -v q="$1" '$1 == q {print $2}'
}
phase_env "stream=$STREAM" "jobs=$JOBS" "replicas=$REPLICAS"

# Streaming. lib/ttft.py alternates one streamed request through the gateway (OpenAI adapter -> mock) with the same
# request straight to the mock, on one keep-alive connection each, and times each to its first content token.
if [ "$STREAM" = 1 ]; then
  STREAM_BODY="{\"model\":\"$PEER_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi in five words.\"}],\"max_tokens\":16,\"stream\":true}"
  STREAM_DIRECT_BODY=${STREAM_BODY/"\"$PEER_MODEL\""/"\"${PEER_MODEL#*/}\""}
  wait_quiet 10
  log "streaming: time to first token, gateway and direct interleaved, ${STREAM_DURATION} s (+2 s unrecorded)"
  cpu_snapshot "$WORK/cpu-before.json"
  t0=$(now_ms)
  python3 "$BENCH_DIR/lib/ttft.py" "$STREAM_DURATION" 2 "$PUBLIC_URL/v1/chat/completions" "$API_KEY" "$STREAM_BODY" \
    "http://127.0.0.1:$MOCK_PORT/v1/chat/completions" "$STREAM_DIRECT_BODY" >"$RAW/stream-ttft.json"
  t1=$(now_ms)
  cpu_snapshot "$WORK/cpu-after.json"
  # shellcheck disable=SC2046
  python3 "$BENCH_DIR/lib/point.py" stream 1 1 $((t1 - t0)) - "$WORK/cpu-before.json" "$WORK/cpu-after.json" \
    $(tracked_pids) >>"$POINTS_FILE"
  log "streaming: $(jq -c '{direct: .direct.ttft_p50_ms, gateway: .gateway.ttft_p50_ms, added_p50_ms, errors: (.direct.errors + .gateway.errors)}' "$RAW/stream-ttft.json")"
  phase_env "stream_duration_s=$STREAM_DURATION" "stream_model=$PEER_MODEL"
fi

# Async jobs. Submits: closed-loop wrk on POST /v1/images/generate (an async model: 202 after JobStatus has registered
# the job and the command is on local-image-async). The local adapter runs 4 of them at a time with 1.2 s of pauses each, so
# nearly all stay queued: after each point the backlog is counted and purged, so it weighs on nothing after it.
# Polling: GET /v1/images/jobs/{id} over jobs that have finished (the final payload, the largest answer), at a fixed rate.
if [ "$JOBS" = 1 ]; then
  JOB_BODY='{"model":"local/pixel-async-1","contents":[{"text":"A benchmark tile"}],"parameters":{"width":64,"height":64}}'
  submit_job() { # prints the job id of one 202
    local code
    code=$(curl -sS -o "$WORK/job-submit.json" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $API_KEY" \
      -H 'Content-Type: application/json' -d "$JOB_BODY" "$PUBLIC_URL/v1/images/generate")
    [ "$code" = 202 ] || { echo "POST /v1/images/generate answered $code, not 202: $(head -c 300 "$WORK/job-submit.json")" >&2; return 1; }
    jq -re '.id' "$WORK/job-submit.json"
  }
  job_status() { curl -fsS --max-time 5 -H "Authorization: Bearer $API_KEY" "$PUBLIC_URL/v1/images/jobs/$1" | jq -r .status; }
  JOB_QUEUE=local-image-async # Queues.ForAsyncImages("local"): where the gateway sends async jobs
  purge_images() { # point: counts the async jobs' backlog, then empties it
    local depth
    depth=$(queue_field "$JOB_QUEUE" messages)
    rabbitmqctl_ purge_queue "$JOB_QUEUE" >/dev/null || log "WARNING: could not purge $JOB_QUEUE; its backlog stays"
    phase_env "purged.$1=${depth:-?}"
    log "purged ${depth:-?} queued image jobs from $JOB_QUEUE after $1"
  }
  JOB_ID=$(submit_job)
  log "async jobs: smoke test ok (202, $JOB_ID, poll_url $(jq -r .poll_url "$WORK/job-submit.json"))"
  cp "$WORK/job-submit.json" "$RAW/smoke-job-202.json"
  run_point jobs-submit 16 2 no
  purge_images warm-up
  for c in "${JOBS_CONNECTIONS[@]}"; do
    run_point jobs-submit "$c" "$JOBS_DURATION" yes
    purge_images "jobs-submit-c$c"
    sleep 1
  done
  # The poll set: fresh jobs on an empty queue, polled once they have all completed.
  POLL_LIST=()
  for ((i = 0; i < POLL_IDS; i++)); do POLL_LIST+=("$(submit_job)"); done
  pending=0
  for ((i = 0; i < 300; i++)); do
    pending=0
    for id in "${POLL_LIST[@]}"; do [ "$(job_status "$id")" = completed ] || { pending=1; break; }; done
    [ "$pending" = 0 ] && break
    sleep 0.2
  done
  [ "$pending" = 0 ] || log "WARNING: not every job of the poll set completed within 60 s; polling them as they are"
  curl -fsS -H "Authorization: Bearer $API_KEY" "$PUBLIC_URL/v1/images/jobs/${POLL_LIST[0]}" >"$RAW/poll-sample.json"
  POLL_PATHS=$(printf '/v1/images/jobs/%s ' "${POLL_LIST[@]}")
  log "async jobs: polling ${#POLL_LIST[@]} jobs ($(for id in "${POLL_LIST[@]}"; do job_status "$id"; done | sort | uniq -c | xargs)) at ${POLL_RATE} req/s on ${POLL_CONNECTIONS} connections"
  run_point jobs-poll "$POLL_CONNECTIONS" 2 no
  run_point jobs-poll "$POLL_CONNECTIONS" "$JOBS_DURATION" yes
  phase_env "jobs_duration_s=$JOBS_DURATION" "poll_rate=$POLL_RATE" "poll_ids=${#POLL_LIST[@]}" \
    "poll_statuses=$(for id in "${POLL_LIST[@]}"; do job_status "$id"; done | sort | uniq -c | xargs)" \
    "poll_body_bytes=$(wc -c <"$RAW/poll-sample.json")" "job_body=$JOB_BODY"
fi

# Adapter replicas. A second mock answers every call after REPLICA_DELAY_MS; the OpenAI adapter is restarted against it
# with its chat concurrency set explicitly, measured alone, then beside a second replica consuming the same queue
# (openai-chat). With REPLICA_CONNECTIONS >= 2 x replicas x limit, requests wait in the queue: the adapters' concurrency,
# not the clients or the CPU, bounds the rate (ceiling: replicas x limit / delay).
if [ "$REPLICAS" = 1 ]; then
  log "replicas: restarting the OpenAI adapter against a mock that answers after ${REPLICA_DELAY_MS} ms"
  MOCK_DELAY_MS=$REPLICA_DELAY_MS PORT=$SLOW_MOCK_PORT node "$MOCK_JS" >"$WORK/slow-mock.log" 2>&1 &
  SLOW_MOCK_PID=$!
  for ((i = 0; i < 100; i++)); do port_open "$SLOW_MOCK_PORT" && break; sleep 0.1; done
  port_open "$SLOW_MOCK_PORT" || { echo "the delayed mock provider did not start:" >&2; cat "$WORK/slow-mock.log" >&2; exit 1; }
  TRACKED+=(slow-mock)
  PID[slow-mock]=$SLOW_MOCK_PID
  REPLICA_ENV=("${COMMON[@]}" OPENAI_API_KEY=sk-mock "OPENAI_BASE_URL=http://127.0.0.1:$SLOW_MOCK_PORT/v1"
    OutboundUrls__AllowPrivateNetworks=true "OpenAI__ChatConcurrencyLimit=$REPLICA_LIMIT")
  if [ "$OPENAI" = 1 ]; then stop_one CCApi.Adapters.OpenAI; else TRACKED+=(CCApi.Adapters.OpenAI); fi
  start_timed CCApi.Adapters.OpenAI $((PORT + 11)) "${REPLICA_ENV[@]}"
  wait_provider_available openai
  t0=$(now_ms)
  curl -fsS --max-time 10 -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' -d "$PEER_BODY" \
    "$PUBLIC_URL/v1/chat/completions" | jq -e '.choices[0].message.content | length > 0' >/dev/null
  log "replicas: smoke test ok through the delayed mock in $(($(now_ms) - t0)) ms"
  for n in 1 2; do
    if [ "$n" = 2 ]; then
      start_timed "CCApi.Adapters.OpenAI#2" $((PORT + 12)) "${REPLICA_ENV[@]}"
      TRACKED+=("CCApi.Adapters.OpenAI#2")
    fi
    for ((i = 0; i < 50; i++)); do [ "$(queue_field openai-chat consumers)" = "$n" ] && break; sleep 0.2; done
    phase_env "replica_consumers.$n=$(queue_field openai-chat consumers)"
    run_point "replicas-$n" "$REPLICA_CONNECTIONS" 3 no
    sleep 1
    run_point "replicas-$n" "$REPLICA_CONNECTIONS" "$REPLICA_DURATION" yes
    sleep 2 # the queued requests of the point drain (at most connections / ceiling seconds)
  done
  stop_one "CCApi.Adapters.OpenAI#2"
  stop_one CCApi.Adapters.OpenAI
  kill "$SLOW_MOCK_PID" 2>/dev/null
  wait "$SLOW_MOCK_PID" 2>/dev/null || true
  SLOW_MOCK_PID=""
  phase_env "replica_delay_ms=$REPLICA_DELAY_MS" "replica_limit=$REPLICA_LIMIT" "replica_connections=$REPLICA_CONNECTIONS" \
    "replica_duration_s=$REPLICA_DURATION"
fi
POINTS_FILE="$WORK/points.jsonl"

# ------------------------------------------------------------------------------------------- span phase (1 connection)
# Gateway and adapter restarted with Telemetry__SpanFile so each request's spans can be lined up by trace id. This phase
# is separate because writing spans synchronously to a file slows every request a little.
log "span phase: restarting gateway and adapter with span files"
stop_one CCApi.Gateway
stop_one CCApi.Adapters.Local
start_timed CCApi.Adapters.Local $((PORT + 10)) "${ADAPTER_ENV[@]}" "Telemetry__SpanFile=$WORK/spans-adapter.jsonl"
start_timed CCApi.Gateway "$PORT" "${GATEWAY_ENV[@]}" "Telemetry__SpanFile=$WORK/spans-gateway.jsonl"
wait_provider_available local
for name in CCApi.Adapters.Local CCApi.Gateway; do echo "ready_ms_restart.$name=${READY_MS[$name]}"; done >>"$WORK/env"
run_point chat 1 3 no
wait_quiet 10
: >"$WORK/spans-adapter.jsonl"
: >"$WORK/spans-gateway.jsonl"
run_point chat 1 "$SPAN_DURATION" no
cp "$WORK/warmup-chat-c1.txt" "$RAW/chat-c1-spans-on.txt"
sleep 1
python3 "$BENCH_DIR/lib/spans.py" "$WORK/spans-gateway.jsonl" "$WORK/spans-adapter.jsonl" >"$WORK/spans.json"

# -------------------------------------------------------------------------------------------------------------- report
python3 "$BENCH_DIR/lib/report.py" "$WORK" "$RAW" >"$REPORT"
if [ "$PEER" = 1 ]; then
  python3 "$BENCH_DIR/lib/peer.py" "$WORK" "$RAW" >>"$REPORT"
  cp "$WORK/peer-env" "$WORK/peer-pids" "$RAW/peer/"
else
  printf '\nNo peer comparison in this run (BENCH_PEER=0).\n' >>"$REPORT"
fi
python3 "$BENCH_DIR/lib/phases.py" "$WORK" "$RAW" >>"$REPORT"
cp "$WORK/phases.jsonl" "$RAW/phases.jsonl"
cp "$WORK/phases-env" "$RAW/phases-env.txt"
cp "$WORK/points.jsonl" "$RAW/points.jsonl"
cp "$WORK/spans.json" "$RAW/spans.json"
cp "$WORK/env" "$RAW/env.txt"
log "report: ${REPORT#"$REPO"/}"
if [ "$PEER_RC" != 0 ]; then
  log "the peer comparison failed (exit $PEER_RC): see the end of the report"
  exit 1
fi
