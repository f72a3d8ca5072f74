#!/usr/bin/env bash
# Runs every test: makes RabbitMQ and Redis available (the same bootstrap as run.sh, on test ports so a running
# platform is never disturbed), builds the solution, runs all test projects and ends with the line
# "N passed, M failed[, K skipped]". Exits non-zero on any failure.
#
#   CCAPI_TEST_AMQP_PORT / CCAPI_TEST_REDIS_PORT   default 5673 / 6380
#   CCAPI_TEST_FILTER                               optional `dotnet test --filter` expression
set -uo pipefail
CCAPI_ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$CCAPI_ROOT"
export CCAPI_ROOT CCAPI_DATA_DIR="$CCAPI_ROOT/.data/test"
mkdir -p "$CCAPI_DATA_DIR"
# shellcheck source=scripts/infra.sh
source scripts/infra.sh

AMQP_PORT=${CCAPI_TEST_AMQP_PORT:-5673}
REDIS_PORT=${CCAPI_TEST_REDIS_PORT:-6380}
CONFIGURATION=${CCAPI_CONFIGURATION:-Release}
RESULTS="$CCAPI_DATA_DIR/results"

cleanup() { infra_stop; }
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "$*" >&2; echo "0 passed, 1 failed"; exit 1; }

command -v dotnet >/dev/null || fail "The .NET 10 SDK is required (dotnet not on PATH)."
command -v curl >/dev/null || apt_install curl
ensure_rabbitmq "$AMQP_PORT" || fail "RabbitMQ could not be started."
ensure_redis "$REDIS_PORT" || fail "Redis could not be started."
ensure_media_tools || fail "espeak-ng/lame/vorbis-tools/opus-tools/flac could not be installed."

# One virtual host per test project, so test assemblies running side by side never share queues.
ctl=/usr/lib/rabbitmq/bin/rabbitmqctl
[ -x "$ctl" ] || ctl=$(command -v rabbitmqctl)
node=$(awk '$1 == "rabbitmq" {print $3}' "$CCAPI_DATA_DIR/started.pids" 2>/dev/null | tail -n1)
node=${node:-ccapi-$AMQP_PORT@localhost}
for v in gateway catalog jobstatus local shared e2e deploy openai elevenlabs stabilityai imaginepro; do
  "$ctl" -q -n "$node" add_vhost "ccapi-test-$v" >/dev/null 2>&1 || true
  "$ctl" -q -n "$node" set_permissions -p "ccapi-test-$v" guest '.*' '.*' '.*' >/dev/null 2>&1 ||
    fail "Could not create RabbitMQ virtual host ccapi-test-$v on node $node."
done

export CCAPI_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:$AMQP_PORT"
export CCAPI_TEST_REDIS="127.0.0.1:$REDIS_PORT"
export CCAPI_CONFIGURATION="$CONFIGURATION"

echo "Building ($CONFIGURATION)..."
dotnet build CCApi.Platform.sln -c "$CONFIGURATION" -nologo -clp:ErrorsOnly -v:q || fail "The build failed."

rm -rf "$RESULTS"
args=(test CCApi.Platform.sln -c "$CONFIGURATION" --no-build -nologo --results-directory "$RESULTS" --logger "trx")
args+=(--logger "console;verbosity=normal")
[ -n "${CCAPI_TEST_FILTER:-}" ] && args+=(--filter "$CCAPI_TEST_FILTER")
dotnet "${args[@]}" 2>&1 | tee "$CCAPI_DATA_DIR/test-output.log" | grep -E --line-buffered '^\s*Failed |^\s*Skipped |Passed!|Failed!' || true
status=${PIPESTATUS[0]}

passed=0; failed=0; skipped=0; files=0
for trx in "$RESULTS"/*.trx; do
  [ -f "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done

if [ "$files" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
  echo "dotnet test exited with $status without reporting failed tests; see $CCAPI_DATA_DIR/test-output.log" >&2
  failed=$((failed + 1))
fi

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
