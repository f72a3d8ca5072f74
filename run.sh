#!/usr/bin/env bash
# Runs the whole platform on this machine: RabbitMQ + Redis (reused when already listening, otherwise started,
# installing Debian's packages if needed), a build, and every service as its own process. Ctrl-C / SIGTERM stops
# what this script started, and only that.
#
#   CCAPI_PORT               gateway port (default 8080); the other services use the next ports
#   CCAPI_BOOTSTRAP_API_KEY  the API key to accept (default: a random key made on the first run, printed, and kept in
#                            $CCAPI_DATA_DIR/secrets.env for the next runs, as are the three below)
#   CCAPI_ADMIN_API_KEY      the admin key of /admin/v1, >= 32 characters (default: a random key, printed)
#   CCAPI_SIGNING_KEY        the key that signs file URLs (default: 32 random bytes)
#   CCAPI_AMQP_PORT / CCAPI_REDIS_PORT   where RabbitMQ / Redis are or will be started (default 5672 / 6379)
#   CCAPI_ADAPTERS_ALLOW_PRIVATE  1 lets every adapter fetch URLs (input images, results an upstream hands back) on
#                            loopback and private networks: for a local emulator as upstream, never in production.
#                            Default 0: those URLs are refused, whatever the adapter's base URL is.
#   CCAPI_WEBHOOK_SECRET     the Standard Webhooks signing secret, whsec_ + base64 of 24..64 bytes (default: one of 32
#                            random bytes, printed); receivers verify webhook-signature with it
#   CCAPI_WEBHOOKS_ALLOW_PRIVATE  1 lets webhooks reach receivers on loopback and private networks (a receiver on
#                            this machine): local development only, a warning at start, never in production. Default 0.
#   CCAPI_DATA_DIR           logs, pids and local RabbitMQ/Redis data (default .data/run)
#   CCAPI_SKIP_BUILD         1 runs the existing build instead of building first (tests use it)
#
# A service that dies is restarted (backoff 1 s doubling to 30 s, each restart logged; see scripts/services.sh);
# the platform keeps running.
#
# The provider adapters are the rows of deploy/providers. One with a key variable starts when that variable is set
# (e.g. OPENAI_API_KEY, with OPENAI_BASE_URL for any OpenAI-compatible server: openai/<model> reaches its <model>);
# its base URL variable defaults to the provider's public API. The local adapter needs no key and always starts.
# Providers without a key show as "unavailable" in /v1/providers and their models answer 503 at once.
set -euo pipefail
CCAPI_ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$CCAPI_ROOT"
export CCAPI_ROOT CCAPI_DATA_DIR="${CCAPI_DATA_DIR:-$CCAPI_ROOT/.data/run}"
mkdir -p "$CCAPI_DATA_DIR"
# shellcheck source=scripts/infra.sh
source scripts/infra.sh
# shellcheck source=scripts/services.sh
source scripts/services.sh
# shellcheck source=scripts/providers.sh
source scripts/providers.sh

PORT=${CCAPI_PORT:-8080}
AMQP_PORT=${CCAPI_AMQP_PORT:-5672}
REDIS_PORT=${CCAPI_REDIS_PORT:-6379}
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
# The keys and secrets run.sh makes up are kept in $CCAPI_DATA_DIR/secrets.env (mode 600) and used again by the next
# run, as the data beside them is: the printed keys, signed file URLs and webhook signatures stay valid across
# restarts. A variable set in the environment is used instead, and not written. Delete the file for new ones.
SECRETS_FILE="$CCAPI_DATA_DIR/secrets.env"
saved() { [ -f "$SECRETS_FILE" ] && sed -n "s/^$1=//p" "$SECRETS_FILE" | tail -n 1; return 0; }
secret() { # name, the environment's value, a generator: the value to use, remembering a generated one
  local value=$2
  [ -n "$value" ] && { printf '%s' "$value"; return; }
  value=$(saved "$1")
  if [ -z "$value" ]; then
    value=$($3)
    (umask 077 && printf '%s=%s\n' "$1" "$value" >>"$SECRETS_FILE")
  fi
  printf '%s' "$value"
}
new_api_key() { echo "sk-ccapi-$(random_hex 24)"; }
new_admin_key() { echo "ccapi-admin-$(random_hex 24)"; }
new_signing_key() { random_hex 32; }
new_webhook_secret() { echo "whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')"; }
API_KEY=$(secret API_KEY "${CCAPI_BOOTSTRAP_API_KEY:-}" new_api_key)
ADMIN_KEY=$(secret ADMIN_KEY "${CCAPI_ADMIN_API_KEY:-}" new_admin_key)
SIGNING_KEY=$(secret SIGNING_KEY "${CCAPI_SIGNING_KEY:-}" new_signing_key)
WEBHOOK_SECRET=$(secret WEBHOOK_SECRET "${CCAPI_WEBHOOK_SECRET:-}" new_webhook_secret)
PUBLIC_URL=${CCAPI_PUBLIC_URL:-http://127.0.0.1:$PORT}

ALLOW_PRIVATE=${CCAPI_ADAPTERS_ALLOW_PRIVATE:-0}
if [ "$ALLOW_PRIVATE" != 0 ] && [ "$ALLOW_PRIVATE" != 1 ]; then
  echo "CCAPI_ADAPTERS_ALLOW_PRIVATE must be 0 or 1." >&2
  exit 2
fi
WEBHOOKS_ALLOW_PRIVATE=${CCAPI_WEBHOOKS_ALLOW_PRIVATE:-0}
if [ "$WEBHOOKS_ALLOW_PRIVATE" != 0 ] && [ "$WEBHOOKS_ALLOW_PRIVATE" != 1 ]; then
  echo "CCAPI_WEBHOOKS_ALLOW_PRIVATE must be 0 or 1." >&2
  exit 2
fi
case "$WEBHOOK_SECRET" in
  whsec_?*) ;;
  *) echo "CCAPI_WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 to 64 random bytes." >&2; exit 2 ;;
esac
if [ ${#API_KEY} -lt 16 ]; then
  echo "CCAPI_BOOTSTRAP_API_KEY must be at least 16 characters." >&2
  exit 2
fi
if [ ${#ADMIN_KEY} -lt 32 ] || [ "$ADMIN_KEY" = "$API_KEY" ]; then
  echo "CCAPI_ADMIN_API_KEY must be at least 32 characters and differ from the API key." >&2
  exit 2
fi

cleanup() {
  trap - INT TERM EXIT
  set +e # stop everything even when some of it is already gone
  echo "Stopping..." >&2
  stop_services
  infra_stop
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (dotnet not on PATH)." >&2; exit 1; }
command -v curl >/dev/null || apt_install curl
ensure_rabbitmq "$AMQP_PORT"
ensure_redis "$REDIS_PORT" persist # AOF under $CCAPI_DATA_DIR/redis-<port>: keys and jobs survive a restart
ensure_media_tools

if [ "${CCAPI_SKIP_BUILD:-0}" = 1 ]; then
  echo "Not building (CCAPI_SKIP_BUILD=1): running the $CCAPI_CONFIGURATION build already made." >&2
else
  echo "Building..." >&2
  dotnet build CCApi.Services.slnf -c "$CCAPI_CONFIGURATION" -nologo -clp:ErrorsOnly -v:q
fi

RABBIT="amqp://guest:guest@127.0.0.1:$AMQP_PORT/"
REDIS="127.0.0.1:$REDIS_PORT"
COMMON=("ConnectionStrings__RabbitMq=$RABBIT" "ConnectionStrings__Redis=$REDIS")
[ -n "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ] && COMMON+=("OTEL_EXPORTER_OTLP_ENDPOINT=$OTEL_EXPORTER_OTLP_ENDPOINT")

start_service CCApi.Catalog $((PORT + 1)) "${COMMON[@]}" "Catalog__DefinitionPath=$CCAPI_ROOT/deploy/catalog.json"
JOBSTATUS_SETTINGS=("${COMMON[@]}" "BlobUrls__SigningKey=$SIGNING_KEY" "BlobUrls__PublicBaseUrl=$PUBLIC_URL" "Webhooks__Secret=$WEBHOOK_SECRET")
if [ "$WEBHOOKS_ALLOW_PRIVATE" = 1 ]; then
  JOBSTATUS_SETTINGS+=("OutboundUrls__AllowPrivateNetworks=true")
  echo "WARNING: CCAPI_WEBHOOKS_ALLOW_PRIVATE=1: webhooks may reach receivers on loopback and private networks (local development only, never in production)." >&2
fi
start_service CCApi.JobStatus $((PORT + 2)) "${JOBSTATUS_SETTINGS[@]}"
# Whether adapters may fetch URLs on private networks is this explicit setting, never inferred from a base URL.
ADAPTER_COMMON=("${COMMON[@]}")
if [ "$ALLOW_PRIVATE" = 1 ]; then
  ADAPTER_COMMON+=("OutboundUrls__AllowPrivateNetworks=true")
  echo "CCAPI_ADAPTERS_ALLOW_PRIVATE=1: adapters may fetch URLs on loopback and private networks (never in production)." >&2
fi
# Every adapter of deploy/providers: the one on row N listens on PORT + 10 + N. One without a key variable always starts;
# the others when their key is set, with their base URL when that is set too.
ADAPTERS=()
providers_load
for i in "${!PROVIDER_PROJECTS[@]}"; do
  key=${PROVIDER_KEYS[$i]} base=${PROVIDER_BASES[$i]}
  [ -z "$key" ] || [ -n "${!key:-}" ] || continue
  settings=("${ADAPTER_COMMON[@]}")
  [ -n "$key" ] && settings+=("$key=${!key}")
  [ -n "$base" ] && [ -n "${!base:-}" ] && settings+=("$base=${!base}")
  # blob-urls: the adapter hands uploaded input images to its upstream as signed gateway URLs.
  [ -n "$(provider_option "$i" blob-urls)" ] && settings+=("BlobUrls__SigningKey=$SIGNING_KEY" "BlobUrls__PublicBaseUrl=$PUBLIC_URL")
  start_service "${PROVIDER_PROJECTS[$i]}" $((PORT + 10 + i)) "${settings[@]}"
  ADAPTERS+=("${PROVIDER_PROJECTS[$i]} $((PORT + 10 + i))")
done
wait_ready CCApi.Catalog $((PORT + 1)) 60
start_service CCApi.Gateway "$PORT" "${COMMON[@]}" "Services__CatalogUrl=http://127.0.0.1:$((PORT + 1))" \
  "Services__JobStatusUrl=http://127.0.0.1:$((PORT + 2))" "BlobUrls__SigningKey=$SIGNING_KEY" \
  "BlobUrls__PublicBaseUrl=$PUBLIC_URL" "Auth__BootstrapApiKey=$API_KEY" "Auth__AdminApiKey=$ADMIN_KEY" \
  "Webhooks__Secret=$WEBHOOK_SECRET"
wait_ready CCApi.JobStatus $((PORT + 2)) 60
for adapter in "${ADAPTERS[@]}"; do
  # shellcheck disable=SC2086 # "name port"
  wait_ready $adapter 60
done
wait_ready CCApi.Gateway "$PORT" 60

cat <<INFO

CCAPI is running.
  Base URL:        $PUBLIC_URL/v1
  API key:         $API_KEY
  Admin key:       $ADMIN_KEY   (/admin/v1: create keys with credits and limits)
  Console:         $PUBLIC_URL/console/   (sign in with the admin key)
  Webhook secret:  $WEBHOOK_SECRET   (verify webhook-signature with it: README "Webhooks")
  Adapters:        $(printf '%s ' "${ADAPTERS[@]%% *}" | sed 's/CCApi.Adapters.//g')
  Logs:            $CCAPI_DATA_DIR/logs/
  Made-up keys:    $SECRETS_FILE   (kept for the next runs; delete it for new ones)
Try:
  curl -s $PUBLIC_URL/v1/models -H "Authorization: Bearer $API_KEY"
  curl -s $PUBLIC_URL/admin/v1/keys -H "Authorization: Bearer $ADMIN_KEY" -H "Content-Type: application/json" -d '{"name":"team-a","credits_usd":5}'
Press Ctrl-C to stop.
INFO

# The supervisors run until Ctrl-C / SIGTERM; a service that dies is restarted by its supervisor.
wait "${SERVICE_PIDS[@]}" || true
echo "Every supervisor exited unexpectedly; see $CCAPI_DATA_DIR/logs/." >&2
exit 1
