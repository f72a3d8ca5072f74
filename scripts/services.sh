#!/usr/bin/env bash
# Starting, supervising and stopping the platform's service processes; sourced by run.sh (and usable by hand).
# Every service is its own process, configured only through environment variables (the same names the
# k8s manifests use), logging to $CCAPI_DATA_DIR/logs/<service>.log.
#
# Each service runs under a small supervisor (a background subshell): when the service dies, the supervisor logs
# its exit status and log file and starts it again after a backoff of 1 s doubling to 30 s, reset once the service
# has stayed up 60 s. Five deaths within 60 s are reported as a crash loop; the supervisor then keeps trying at the
# 30 s maximum rather than giving up: what makes a service crash here is usually outside it (the broker, an upstream,
# a port still held) and comes back by itself, and a service given up on would leave a hole only a restart of the
# whole platform fills — as Kubernetes' CrashLoopBackOff keeps trying too. SIGTERM to a supervisor stops its service
# (SIGTERM, then SIGKILL after the grace period) and then the supervisor.

: "${CCAPI_DATA_DIR:?CCAPI_DATA_DIR must be set}"
CCAPI_CONFIGURATION=${CCAPI_CONFIGURATION:-Release}
CCAPI_RESTART_MAX_DELAY=${CCAPI_RESTART_MAX_DELAY:-30} # seconds
SERVICE_PIDS=() # the supervisors' pids; each service's current pid is the last line of its name in services.pids
SERVICE_STOP_GRACE=30 # seconds between SIGTERM and SIGKILL, longer than the services' bus stop timeout

rm -f "$CCAPI_DATA_DIR/services.pids" # pids of an earlier run are not ours to check or stop

# A name may carry an instance suffix, "<project>#<n>" (bench/run.sh's second adapter replica): the project's dll runs,
# while the log file and the services.pids entry are the instance's own.
service_dll() { echo "$CCAPI_ROOT/services/${1%%#*}/bin/$CCAPI_CONFIGURATION/net10.0/${1%%#*}.dll"; }

supervisor_log() { echo "[supervisor $(date -u +%H:%M:%S)] $*" >&2; }

# Describes an exit status as the shell reports it: 137 → "killed by signal 9 (KILL)".
describe_exit() {
  if [ "$1" -gt 128 ]; then
    echo "killed by signal $(($1 - 128)) ($(kill -l "$(($1 - 128))" 2>/dev/null || echo '?'))"
  else
    echo "exit status $1"
  fi
}

run_service_once() { # name port log [VAR=value ...]: starts the service in the background; its pid in $!
  local name=$1 port=$2 log=$3; shift 3
  (
    cd "$CCAPI_ROOT/services/${name%%#*}" || exit 1
    export Urls="http://127.0.0.1:$port" DOTNET_ENVIRONMENT=${DOTNET_ENVIRONMENT:-Production}
    for kv in "$@"; do export "${kv?}"; done
    exec dotnet "$(service_dll "$name")"
  ) >>"$log" 2>&1 &
}

supervise() { # name port [VAR=value ...]: runs in its own background subshell until SIGTERM
  local name=$1 port=$2; shift 2
  local log="$CCAPI_DATA_DIR/logs/$name.log" delay=1 stopping=0 child status started uptime i now sleeper
  local deaths=() recent=()
  set +e
  trap '' INT # Ctrl-C reaches run.sh, which stops supervisors with SIGTERM
  trap 'stopping=1; [ -n "${child:-}" ] && kill -TERM "$child" 2>/dev/null' TERM
  while :; do
    started=$SECONDS
    run_service_once "$name" "$port" "$log" "$@"
    child=$!
    echo "$name $child $port" >>"$CCAPI_DATA_DIR/services.pids"
    wait "$child"
    status=$?
    while kill -0 "$child" 2>/dev/null; do # woken by SIGTERM: give the service its grace period
      for ((i = 0; i < SERVICE_STOP_GRACE * 5 && stopping; i++)); do
        kill -0 "$child" 2>/dev/null || break
        sleep 0.2
      done
      kill -KILL "$child" 2>/dev/null
      wait "$child" 2>/dev/null
    done
    [ "$stopping" = 1 ] && exit 0

    now=$SECONDS
    uptime=$((now - started))
    [ "$uptime" -ge 60 ] && delay=1
    deaths+=("$now")
    recent=()
    for i in "${deaths[@]}"; do [ $((now - i)) -lt 60 ] && recent+=("$i"); done
    deaths=("${recent[@]}")
    supervisor_log "$name (pid $child) died after ${uptime} s: $(describe_exit "$status"); restarting in ${delay} s. Its log: $log"
    if [ "${#deaths[@]}" -ge 5 ]; then
      supervisor_log "CRASH LOOP: $name died ${#deaths[@]} times within 60 s; still restarting it every ${CCAPI_RESTART_MAX_DELAY} s at most. Read $log"
    fi
    echo "=== [supervisor $(date -u +%FT%TZ)] died: $(describe_exit "$status"); restarting in ${delay} s ===" >>"$log"
    sleep "$delay" &
    sleeper=$!
    wait "$sleeper" # interruptible by SIGTERM, unlike a foreground sleep
    kill "$sleeper" 2>/dev/null
    [ "$stopping" = 1 ] && exit 0
    delay=$((delay * 2))
    [ "$delay" -gt "$CCAPI_RESTART_MAX_DELAY" ] && delay=$CCAPI_RESTART_MAX_DELAY
  done
}

start_service() { # name port [VAR=value ...]: starts the service under its supervisor
  local name=$1
  mkdir -p "$CCAPI_DATA_DIR/logs"
  : >"$CCAPI_DATA_DIR/logs/$name.log"
  supervise "$@" &
  SERVICE_PIDS+=($!)
  # Until the supervisor has written the first pid, wait_ready has nothing to check.
  for _ in $(seq 1 50); do
    awk -v n="$name" '$1 == n {f = 1} END {exit !f}' "$CCAPI_DATA_DIR/services.pids" 2>/dev/null && break
    sleep 0.1
  done
}

current_pid() { awk -v n="$1" '$1 == n {p = $2} END {print p}' "$CCAPI_DATA_DIR/services.pids" 2>/dev/null; }

wait_ready() { # name port seconds: at start, a service that exits before it is ready stops the run
  local name=$1 port=$2 i
  for ((i = 0; i < $3 * 5; i++)); do
    if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$(current_pid "$name")" 2>/dev/null; then
      echo "$name exited; last lines of $CCAPI_DATA_DIR/logs/$name.log:" >&2
      tail -n 30 "$CCAPI_DATA_DIR/logs/$name.log" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "$name was not ready within $3 s; see $CCAPI_DATA_DIR/logs/$name.log" >&2
  return 1
}

stop_services() { # SIGTERM to every supervisor (each stops its service gracefully), then SIGKILL what is left
  local pid alive
  for pid in "${SERVICE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 1 $((SERVICE_STOP_GRACE * 5 + 25))); do
    alive=0
    for pid in "${SERVICE_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.2
  done
  for pid in "${SERVICE_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  # A supervisor killed above leaves its service behind: end each service's current process, checking first that
  # the pid still runs that service's dll (a pid of a service that died long ago may belong to something else now).
  if [ -f "$CCAPI_DATA_DIR/services.pids" ]; then
    local name
    for name in $(awk '{print $1}' "$CCAPI_DATA_DIR/services.pids" | sort -u); do
      pid=$(current_pid "$name")
      if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$(service_dll "$name")"; then
        kill -KILL "$pid" 2>/dev/null
      fi
    done
  fi
  rm -f "$CCAPI_DATA_DIR/services.pids"
  SERVICE_PIDS=()
}
