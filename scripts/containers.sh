#!/usr/bin/env bash
# Container bootstrap for test.sh (sourced, not executed; needs infra.sh's infra_log/apt_install first).
# Gives the tests a Docker engine and the two local images their Testcontainers start (one broker and one Redis per
# test assembly, see tests/CCApi.Testing/TestContainers.cs):
#   - an engine already answering on $DOCKER_HOST is used as it is (a developer's laptop, hosted CI);
#   - otherwise Debian's docker.io is installed if absent and a PRIVATE dockerd is started for this run: its own
#     data dir ($CCAPI_DATA_DIR/docker, git-ignored, so a later run finds its images), exec root, socket, pid file
#     and bridge (ccapi-dN, 10.213.N.1/24, claimed atomically by `ip link add`), so it never meets a system
#     dockerd or another checkout's run. Flags, and why:
#       --iptables=false --ip-masq=false  touch no firewall rule of a shared host; containers need no way out
#                                         (no registry is reachable anyway) and published ports still work
#                                         through docker-proxy;
#       --ip=127.0.0.1                    every published port binds to loopback only, whatever a test asks;
#       --bridge=ccapi-dN                 not docker0, which a system dockerd (or a second run) would also claim.
#   - the images ccapi-test/rabbitmq and ccapi-test/redis are built from Debian bookworm's own rabbitmq-server and
#     redis-server packages (mmdebstrap, then `docker import` with CMD/ENV/USER/EXPOSE), because no image registry
#     is reachable here. The root file systems are cached machine-wide in $CCAPI_IMAGE_CACHE, keyed by a hash of
#     their recipe, so a fresh clone imports them in seconds instead of building them again.
# Only what this file started is recorded in $CCAPI_DATA_DIR/started.pids ("dockerd PID BRIDGE EXECROOT"); containers
# carry the label ccapi.tests=true and containers_cleanup removes every one of them, so nothing is left running.

CCAPI_IMAGE_CACHE=${CCAPI_IMAGE_CACHE:-/var/cache/ccapi-test-images}
CCAPI_TEST_LABEL=ccapi.tests=true
CCAPI_RABBITMQ_IMAGE=ccapi-test/rabbitmq:bookworm
CCAPI_REDIS_IMAGE=ccapi-test/redis:bookworm

docker_ok() { timeout 10 docker version >/dev/null 2>&1; }

# Starts a private dockerd (see the header). Exports DOCKER_HOST on success.
start_private_dockerd() {
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  command -v dockerd >/dev/null || apt_install docker.io || return 1
  command -v ip >/dev/null || apt_install iproute2 || return 1
  local n bridge="" root="$CCAPI_DATA_DIR/docker"
  for ((n = 1; n < 250; n++)); do
    if $sudo ip link add "ccapi-d$n" type bridge 2>/dev/null; then bridge="ccapi-d$n"; break; fi
  done
  [ -n "$bridge" ] || { infra_log "no free bridge name ccapi-dN"; return 1; }
  $sudo ip addr add "10.213.$n.1/24" dev "$bridge" && $sudo ip link set "$bridge" up || { $sudo ip link del "$bridge"; return 1; }
  local exec_root="/run/ccapi-docker-$n"
  mkdir -p "$root"
  # setsid: the daemon must not get the terminal's Ctrl-C before test.sh has removed its containers.
  $sudo setsid dockerd --data-root "$root/data" --exec-root "$exec_root" --pidfile "$root/dockerd.pid" \
    -H "unix://$root/docker.sock" --iptables=false --ip-masq=false --ip=127.0.0.1 --bridge="$bridge" \
    </dev/null >"$root/dockerd.log" 2>&1 &
  local pid=$!
  echo "dockerd $pid $bridge $exec_root" >>"$CCAPI_DATA_DIR/started.pids"
  export DOCKER_HOST="unix://$root/docker.sock"
  local i
  for ((i = 0; i < 300; i++)); do
    docker_ok && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  docker_ok || { infra_log "dockerd did not start; see $root/dockerd.log"; return 1; }
  infra_log "started dockerd (API $(docker version -f '{{.Server.APIVersion}}'), socket $root/docker.sock, bridge $bridge)"
}

# image name, Debian package, docker-import --change lines..., then -- and mmdebstrap customize-hook commands.
ensure_image() {
  local image=$1 package=$2; shift 2
  local changes=() hooks=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do changes+=(--change "$1"); shift; done
  [ "${1:-}" = -- ] && shift
  for h in "$@"; do hooks+=(--customize-hook="$h"); done
  # The recipe's hash names the cached root file system and the image's label: change the recipe, get a new image.
  local recipe; recipe=$(printf '%s\n' "$package" "${changes[@]}" "$@" | sha256sum | cut -c1-12)
  if [ "$(docker image inspect -f '{{index .Config.Labels "ccapi.recipe"}}' "$image" 2>/dev/null)" = "$recipe" ]; then
    infra_log "reusing image $image"; return 0
  fi
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  local tar="$CCAPI_IMAGE_CACHE/${package}-bookworm-$recipe.tar"
  if [ ! -s "$tar" ]; then
    command -v mmdebstrap >/dev/null || apt_install mmdebstrap || return 1
    $sudo mkdir -p "$CCAPI_IMAGE_CACHE"
    infra_log "building a Debian bookworm root file system with $package (mmdebstrap, about a minute)"
    # The host's own apt sources (no mirror is named here); docs, man pages and locales left out.
    local sources=/etc/apt/sources.list.d/debian.sources; [ -f "$sources" ] || sources=/etc/apt/sources.list
    $sudo mmdebstrap --quiet --mode=root --format=tar --variant=minbase --include="$package" \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' "${hooks[@]}" \
      bookworm "$tar.tmp" "$sources" >"$CCAPI_DATA_DIR/mmdebstrap-$package.log" 2>&1 ||
      { infra_log "mmdebstrap failed; see $CCAPI_DATA_DIR/mmdebstrap-$package.log"; $sudo rm -rf "$tar.tmp"; return 1; }
    $sudo mv "$tar.tmp" "$tar"
  fi
  docker import "${changes[@]}" --change "LABEL ccapi.recipe=$recipe" "$tar" "$image" >/dev/null || return 1
  infra_log "imported image $image"
}

ensure_test_images() {
  # The two images are built side by side (each mmdebstrap spends most of its minute waiting on downloads and dpkg).
  command -v mmdebstrap >/dev/null || apt_install mmdebstrap || return 1
  ensure_rabbitmq_image & local rabbitmq=$!
  ensure_redis_image & local redis=$!
  wait "$rabbitmq" && wait "$redis"
}

ensure_rabbitmq_image() {
  # RabbitMQ as test.sh's native node behaves: guest/guest allowed from the published port (loopback_users = none),
  # default vhost "/", logs on stdout (the wait strategy reads "Server startup complete"), no plugins.
  ensure_image "$CCAPI_RABBITMQ_IMAGE" rabbitmq-server \
    'ENV RABBITMQ_NODENAME=rabbit@localhost HOME=/var/lib/rabbitmq RABBITMQ_LOGS=- RABBITMQ_SASL_LOGS=-' \
    'USER rabbitmq' 'WORKDIR /var/lib/rabbitmq' 'EXPOSE 5672' \
    'CMD ["/usr/lib/rabbitmq/bin/rabbitmq-server"]' \
    -- \
    'printf "loopback_users = none\nlisteners.tcp.default = 5672\nlog.console = true\nlog.console.level = info\nlog.file = false\n" > "$1/etc/rabbitmq/rabbitmq.conf"' \
    'echo "[]." > "$1/etc/rabbitmq/enabled_plugins"'
}

ensure_redis_image() {
  # Redis on every interface of its container (only the port published on 127.0.0.1 reaches it), nothing on disk.
  ensure_image "$CCAPI_REDIS_IMAGE" redis-server \
    'USER redis' 'WORKDIR /var/lib/redis' 'EXPOSE 6379' \
    'CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]'
}

# Returns 0 with DOCKER_HOST exported and the images present, or 1 (the caller falls back to the native servers).
containers_start() {
  if [ -n "${DOCKER_HOST:-}" ] && docker_ok; then
    infra_log "using the Docker engine at $DOCKER_HOST"
  elif [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && DOCKER_HOST=unix:///var/run/docker.sock docker_ok; then
    export DOCKER_HOST=unix:///var/run/docker.sock
    infra_log "using the Docker engine at $DOCKER_HOST"
  else
    unset DOCKER_HOST
    start_private_dockerd || return 1
  fi
  containers_cleanup
  ensure_test_images
}

# Removes every container the tests made (Ryuk is off; each test process also removes its own at exit).
containers_cleanup() {
  [ -n "${DOCKER_HOST:-}" ] || return 0
  local ids; ids=$(docker ps -aq --filter "label=$CCAPI_TEST_LABEL" 2>/dev/null)
  [ -z "$ids" ] && return 0
  infra_log "removing $(echo "$ids" | wc -l) leftover test container(s): $(docker ps -a --filter "label=$CCAPI_TEST_LABEL" --format '{{.Image}} ({{.Status}})' 2>/dev/null | paste -sd, -)"
  # shellcheck disable=SC2086
  docker rm -f $ids >/dev/null 2>&1 || true
}

# Stops the private dockerd (and its containerd) and gives back its bridge. Called by infra_stop for "dockerd" lines.
stop_private_dockerd() { # pid bridge exec-root
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo kill "$1" 2>/dev/null
  local i
  for ((i = 0; i < 200; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && $sudo kill -9 "$1" 2>/dev/null
  $sudo ip link del "$2" 2>/dev/null
  $sudo rm -rf "$3"
}
