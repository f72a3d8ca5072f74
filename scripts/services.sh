#!/usr/bin/env bash
# Starting and stopping the platform's service processes; sourced by run.sh (and usable by hand).
# Every service is its own process, configured only through environment variables (the same names the
# k8s manifests use), logging to $CCAPI_DATA_DIR/logs/<service>.log.

: "${CCAPI_DATA_DIR:?CCAPI_DATA_DIR must be set}"
CCAPI_CONFIGURATION=${CCAPI_CONFIGURATION:-Release}
SERVICE_PIDS=()

service_dll() { echo "$CCAPI_ROOT/services/$1/bin/$CCAPI_CONFIGURATION/net10.0/$1.dll"; }

start_service() { # name port [VAR=value ...]
  local name=$1 port=$2; shift 2
  mkdir -p "$CCAPI_DATA_DIR/logs"
  (
    cd "$CCAPI_ROOT/services/$name" || exit 1
    export Urls="http://127.0.0.1:$port" DOTNET_ENVIRONMENT=${DOTNET_ENVIRONMENT:-Production}
    for kv in "$@"; do export "${kv?}"; done
    exec dotnet "$(service_dll "$name")"
  ) >"$CCAPI_DATA_DIR/logs/$name.log" 2>&1 &
  SERVICE_PIDS+=($!)
  echo "$name $! $port" >>"$CCAPI_DATA_DIR/services.pids"
}

wait_ready() { # name port seconds
  local name=$1 port=$2 i
  for ((i = 0; i < $3 * 5; i++)); do
    if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$(awk -v n="$name" '$1 == n {print $2}' "$CCAPI_DATA_DIR/services.pids" | tail -n1)" 2>/dev/null; then
      echo "$name exited; last lines of $CCAPI_DATA_DIR/logs/$name.log:" >&2
      tail -n 30 "$CCAPI_DATA_DIR/logs/$name.log" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "$name was not ready within $3 s; see $CCAPI_DATA_DIR/logs/$name.log" >&2
  return 1
}

stop_services() { # SIGTERM first (graceful bus stop), then SIGKILL after the grace period
  local pid
  for pid in "${SERVICE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 1 150); do
    local alive=0
    for pid in "${SERVICE_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.2
  done
  for pid in "${SERVICE_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  rm -f "$CCAPI_DATA_DIR/services.pids"
  SERVICE_PIDS=()
}
