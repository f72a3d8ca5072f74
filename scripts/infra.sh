#!/usr/bin/env bash
# Infrastructure bootstrap shared by run.sh and test.sh (sourced, not executed).
# Makes RabbitMQ and Redis available on loopback:
#   - reuses a server already listening on the requested port;
#   - otherwise starts a private one (data under $CCAPI_DATA_DIR, git-ignored),
#     installing Debian's package first when it is absent.
# Only what this script started is recorded in $CCAPI_DATA_DIR/started.pids, so
# infra_stop stops exactly that and nothing else.

: "${CCAPI_DATA_DIR:?CCAPI_DATA_DIR must be set before sourcing infra.sh}"

infra_log() { printf '[infra] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do port_open "$1" && return 0; sleep 0.1; done
  return 1
}

apt_install() { # packages...
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  infra_log "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # Keep the packages' own init scripts from starting system-wide services.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null && $sudo chmod +x /usr/sbin/policy-rc.d
  fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
}

ensure_redis() { # port [persist]
  # persist: an append-only file (fsync every second) in the data dir, so a restarted Redis has its keys and jobs
  # back, as production's must; the tests' Redis keeps nothing.
  local port=$1 dir="$CCAPI_DATA_DIR/redis-$1" persistence=(--save "" --appendonly no)
  [ "${2:-}" = persist ] && persistence=(--save "" --appendonly yes --appendfsync everysec)
  if port_open "$port"; then infra_log "reusing Redis on 127.0.0.1:$port"; return 0; fi
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p "$dir"
  rm -f "$dir/redis.pid" # a stale one would name a process that is gone (or someone else's)
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" "${persistence[@]}" >/dev/null
  wait_port "$port" 20 || { infra_log "Redis did not start; see $dir/redis.log"; return 1; }
  # Redis listens before it writes its pid file: without this wait the pid could be recorded empty, and the server
  # would outlive the run that started it.
  local i
  for ((i = 0; i < 100; i++)); do [ -s "$dir/redis.pid" ] && break; sleep 0.05; done
  echo "redis $(cat "$dir/redis.pid")" >>"$CCAPI_DATA_DIR/started.pids"
  infra_log "started Redis on 127.0.0.1:$port"
}

ensure_rabbitmq() { # amqp-port
  local port=$1 dir="$CCAPI_DATA_DIR/rabbitmq-$1"
  if port_open "$port"; then infra_log "reusing RabbitMQ on 127.0.0.1:$port"; return 0; fi
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  mkdir -p "$dir/mnesia" "$dir/log"
  # A private node: its own name, ports, data and logs, so it never clashes with a system node.
  export RABBITMQ_NODENAME="ccapi-$port@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$port"
  export RABBITMQ_DIST_PORT=$((port + 20000))
  export RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log"
  export RABBITMQ_FEATURE_FLAGS_FILE="$dir/feature_flags" ERL_CRASH_DUMP="$dir/erl_crash.dump"
  export RABBITMQ_PID_FILE="$dir/rabbitmq.pid" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
  echo '[].' >"$dir/enabled_plugins"
  printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users.guest = true\n' "$port" >"$dir/rabbitmq.conf"
  echo '[].' >"$dir/advanced.config"
  # Debian's /usr/sbin wrapper switches to the rabbitmq user; the real script runs as whoever we are.
  local bin=/usr/lib/rabbitmq/bin; [ -x "$bin/rabbitmq-server" ] || bin=$(dirname "$(command -v rabbitmq-server)")
  (cd "$dir" && exec "$bin/rabbitmq-server") >"$dir/stdout.log" 2>&1 &
  local pid=$!
  local i
  for ((i = 0; i < 900; i++)); do
    port_open "$port" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! port_open "$port"; then infra_log "RabbitMQ did not start; see $dir/stdout.log"; return 1; fi
  echo "rabbitmq $pid $RABBITMQ_NODENAME" >>"$CCAPI_DATA_DIR/started.pids"
  infra_log "started RabbitMQ on 127.0.0.1:$port"
  unset RABBITMQ_NODENAME RABBITMQ_NODE_IP_ADDRESS RABBITMQ_NODE_PORT RABBITMQ_DIST_PORT RABBITMQ_MNESIA_BASE \
    RABBITMQ_LOG_BASE RABBITMQ_FEATURE_FLAGS_FILE ERL_CRASH_DUMP RABBITMQ_PID_FILE RABBITMQ_ENABLED_PLUGINS_FILE RABBITMQ_CONFIG_FILE RABBITMQ_ADVANCED_CONFIG_FILE
}

ensure_media_tools() { # what the local provider needs to speak
  local need=()
  command -v espeak-ng >/dev/null || need+=(espeak-ng)
  command -v lame >/dev/null || need+=(lame)
  command -v oggenc >/dev/null || need+=(vorbis-tools)
  command -v opusenc >/dev/null || need+=(opus-tools)
  command -v flac >/dev/null || need+=(flac)
  [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
}

ensure_browser() { # Debian's chromium for the console's browser tests (Playwright cannot download browsers here)
  command -v chromium >/dev/null || apt_install chromium
  command -v chromium >/dev/null
}

# The Erlang VM (beam.smp) under the rabbitmq-server script ensure_rabbitmq started: where the broker's CPU and memory
# are (bench/run.sh, bench/twins.sh); the script's own pid when the VM is not found.
rabbitmq_vm_pid() {
  local top pid
  top=$(awk '$1 == "rabbitmq" {print $2}' "$CCAPI_DATA_DIR/started.pids")
  for pid in $(pgrep -P "$top"; for c in $(pgrep -P "$top"); do pgrep -P "$c"; done); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = beam.smp ] && { echo "$pid"; return; }
  done
  echo "$top"
}

infra_stop() { # stops only what ensure_* started
  local f="$CCAPI_DATA_DIR/started.pids"
  [ -f "$f" ] || return 0
  local what pid node bridge exec_root
  while read -r what pid node; do
    case "$what" in
      redis) # waited for, so whatever starts next finds its port free (it saves its data before it exits)
        kill "$pid" 2>/dev/null
        local i
        for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done ;;
      rabbitmq)
        # </dev/null: rabbitmqctl would otherwise swallow the rest of the pid file from this loop's stdin.
        "${RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}/rabbitmqctl" -n "$node" stop </dev/null >/dev/null 2>&1 || kill "$pid" 2>/dev/null ;;
      dockerd) # "dockerd PID BRIDGE EXEC-ROOT", written by containers.sh (which test.sh sources)
        read -r bridge exec_root <<<"$node"
        stop_private_dockerd "$pid" "$bridge" "$exec_root" ;;
    esac
  done <"$f"
  rm -f "$f"
}
