#!/usr/bin/env bash
# Runs every test and ends with the line "N passed, M failed[, K skipped]" counting everything run. Exits non-zero on
# any failure.
#
# Where the tests get RabbitMQ and Redis (CCAPI_TEST_INFRA):
#   (unset)     containers: a Docker engine is found or started (scripts/containers.sh: Debian's docker.io, a private
#               dockerd, images built from Debian's rabbitmq-server/redis-server packages) and EACH TEST ASSEMBLY starts
#               its own clean broker and Redis through Testcontainers (tests/CCApi.Testing/TestContainers.cs), removed
#               at exit. Then one small suite (CCAPI_TEST_NATIVE_SUITE) runs again on the native servers, so both paths
#               are exercised on every run. When no engine can start, test.sh says so and runs everything natively.
#   containers  the same, but no native pass and no fallback: fails when no engine can start.
#   native      today's local servers: a private RabbitMQ (one virtual host per test project) and Redis on the test
#               ports below (the same bootstrap as run.sh, so a running platform is never disturbed).
#
#   CCAPI_TEST_AMQP_PORT / CCAPI_TEST_REDIS_PORT   native servers' ports, default 5673 / 6380
#   CCAPI_TEST_FILTER                               optional `dotnet test --filter` expression (skips the native pass)
#   CCAPI_TEST_NATIVE_SUITE                         the project of the native pass, default tests/CCApi.Shared.Tests
set -uo pipefail
CCAPI_ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$CCAPI_ROOT"
export CCAPI_ROOT CCAPI_DATA_DIR="$CCAPI_ROOT/.data/test"
mkdir -p "$CCAPI_DATA_DIR"
# shellcheck source=scripts/infra.sh
source scripts/infra.sh
# shellcheck source=scripts/containers.sh
source scripts/containers.sh
# shellcheck source=scripts/providers.sh
source scripts/providers.sh

AMQP_PORT=${CCAPI_TEST_AMQP_PORT:-5673}
REDIS_PORT=${CCAPI_TEST_REDIS_PORT:-6380}
CONFIGURATION=${CCAPI_CONFIGURATION:-Release}
RESULTS="$CCAPI_DATA_DIR/results"
INFRA=${CCAPI_TEST_INFRA:-}
NATIVE_SUITE=${CCAPI_TEST_NATIVE_SUITE:-tests/CCApi.Shared.Tests}

cleanup() { containers_cleanup; infra_stop; }
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "$*" >&2; echo "0 passed, 1 failed"; exit 1; }

case "$INFRA" in
  "" | containers | native) ;;
  *) fail "CCAPI_TEST_INFRA must be containers or native (or unset), not '$INFRA'." ;;
esac

command -v dotnet >/dev/null || fail "The .NET 10 SDK is required (dotnet not on PATH)."
command -v curl >/dev/null || apt_install curl
ensure_media_tools || fail "espeak-ng/lame/vorbis-tools/opus-tools/flac could not be installed."
ensure_browser || fail "Debian's chromium (for the console's browser tests) could not be installed."
# The fault suite's broker and Redis restart tests start a RabbitMQ node and a Redis of their own from Debian's binaries.
{ command -v rabbitmq-server >/dev/null && command -v redis-cli >/dev/null; } || apt_install rabbitmq-server redis-server ||
  fail "rabbitmq-server/redis-server (for the fault suite's restart tests) could not be installed."
export CCAPI_TEST_OUTPUT="$CCAPI_DATA_DIR/output"   # screenshots of the console's browser tests land in console/

# Every suite on containers when an engine can start; the native servers for everything otherwise, or for one suite.
mode=native
if [ "$INFRA" != native ]; then
  if containers_start; then
    mode=containers
  elif [ "$INFRA" = containers ]; then
    fail "CCAPI_TEST_INFRA=containers, but no Docker engine could be started or no test image built (see above)."
  else
    infra_log "NO DOCKER ENGINE: falling back to the native RabbitMQ and Redis (CCAPI_TEST_INFRA=native) for every suite."
  fi
fi
native_pass=""
[ "$mode" = containers ] && [ -z "$INFRA" ] && [ -z "${CCAPI_TEST_FILTER:-}" ] && native_pass="$NATIVE_SUITE"

if [ "$mode" = native ] || [ -n "$native_pass" ]; then
  ensure_rabbitmq "$AMQP_PORT" || fail "RabbitMQ could not be started."
  ensure_redis "$REDIS_PORT" || fail "Redis could not be started."

  # One virtual host per test project, so test assemblies running side by side never share queues: the services' and
  # suites' own, and one per provider adapter of deploy/providers (its tests use the provider's name).
  providers_load || fail "deploy/providers could not be read."
  ctl=/usr/lib/rabbitmq/bin/rabbitmqctl
  [ -x "$ctl" ] || ctl=$(command -v rabbitmqctl)
  node=$(awk '$1 == "rabbitmq" {print $3}' "$CCAPI_DATA_DIR/started.pids" 2>/dev/null | tail -n1)
  node=${node:-ccapi-$AMQP_PORT@localhost}
  for v in gateway catalog jobstatus shared e2e fuzz deploy "${PROVIDER_NAMES[@]}"; do
    "$ctl" -q -n "$node" add_vhost "ccapi-test-$v" >/dev/null 2>&1 || true
    "$ctl" -q -n "$node" set_permissions -p "ccapi-test-$v" guest '.*' '.*' '.*' >/dev/null 2>&1 ||
      fail "Could not create RabbitMQ virtual host ccapi-test-$v on node $node."
  done
  export CCAPI_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:$AMQP_PORT"
  export CCAPI_TEST_REDIS="127.0.0.1:$REDIS_PORT"
fi
export CCAPI_CONFIGURATION="$CONFIGURATION"

echo "Building ($CONFIGURATION)..."
dotnet build CCApi.Platform.sln -c "$CONFIGURATION" -nologo -clp:ErrorsOnly -v:q || fail "The build failed."

rm -rf "$RESULTS"
statuses=0
# What a run prints of dotnet test's console: each failed or skipped test and each assembly's summary, and the first
# lines of each failure's message (12 a test, 240 in all, 300 characters a line) — a CI log that says only which test
# failed cannot be diagnosed. The whole output is in test-output.log.
progress() {
  awk -v per_test=12 -v in_all=240 '
    /^[[:space:]]*(Failed|Skipped) |Passed!|Failed!/ { print; fflush(); message = ($0 ~ /^[[:space:]]*Failed /); shown = 0; next }
    message && /^[[:space:]]*(Stack Trace|Standard Output Messages|Standard Error Messages):/ { message = 0; next }
    message && shown < per_test && total < in_all { print "    " substr($0, 1, 300); fflush(); shown++; total++; next }
    message && shown == per_test && total < in_all { print "    (more in test-output.log)"; fflush(); shown++ }
  '
}
run_tests() { # infra target [filter]
  echo "Testing $2 on $1 infrastructure..."
  local args=(test "$2" -c "$CONFIGURATION" --no-build -nologo --results-directory "$RESULTS/$1" --logger "trx")
  args+=(--logger "console;verbosity=normal")
  [ -n "${3:-}" ] && args+=(--filter "$3")
  CCAPI_TEST_INFRA=$1 dotnet "${args[@]}" 2>&1 | tee -a "$CCAPI_DATA_DIR/test-output.log" | progress || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || statuses=$((statuses + 1))
}
: >"$CCAPI_DATA_DIR/test-output.log"
run_tests "$mode" CCApi.Platform.sln "${CCAPI_TEST_FILTER:-}"
[ -n "$native_pass" ] && run_tests native "$native_pass"

passed=0; failed=0; skipped=0; files=0
while IFS= read -r trx; do
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  # xUnit's skipped tests are in neither "passed" nor "notExecuted" of the trx counters: they are total - executed.
  skipped=$((skipped + $(get total) - $(get executed)))
done < <(find "$RESULTS" -name '*.trx' 2>/dev/null)

if [ "$files" -eq 0 ] || { [ "$statuses" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
  echo "dotnet test exited with a failure without reporting failed tests; see $CCAPI_DATA_DIR/test-output.log" >&2
  failed=$((failed + 1))
fi

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
