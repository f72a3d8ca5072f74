#!/usr/bin/env bash
# The copy recipe for a new provider adapter (docs/adding-a-provider.md). Copies an existing adapter — by default
# StabilityAI, the smallest upstream one: one job kind, synchronous, no polling — with its test project and its
# emulator, renamed, and registers the copy everywhere it must be known:
#
#   scripts/new-provider.sh <Name> <KEY_VARIABLE> <BASE_URL_VARIABLE> [<FromName>]
#   e.g. scripts/new-provider.sh Acme ACME_API_KEY ACME_BASE_URL
#
# creates services/CCApi.Adapters.<Name>, tests/CCApi.Adapters.<Name>.Tests and tests/CCApi.Emulators/<Name>
# (<FromName> → <Name> and <fromname> → <name> in file names and contents, the from-adapter's key and base-URL
# variables → the given ones), appends the adapter's row to deploy/providers (the from-adapter's job kinds and
# options), adds both projects to CCApi.Platform.sln and runs scripts/generate-deploy.sh. The copy builds, runs and
# passes its copied tests against its copied emulator; then make it your provider's (the upstream client, options,
# emulator endpoints, tests) and add the provider and its models to deploy/catalog.json. No script needs editing.
# tests/CCApi.Deploy.Tests/NewProviderRecipeTests applies this recipe to a copy of the repository and builds it.
set -euo pipefail
CCAPI_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$CCAPI_ROOT"
# shellcheck source=scripts/providers.sh
source scripts/providers.sh

usage() { echo "usage: scripts/new-provider.sh <Name> <KEY_VARIABLE> <BASE_URL_VARIABLE> [<FromName>]" >&2; exit 2; }
[ $# -ge 3 ] && [ $# -le 4 ] || usage
name=$1 key=$2 base=$3 from=${4:-StabilityAI}
[[ "$name" =~ ^[A-Z][A-Za-z0-9]*$ ]] || { echo "<Name> must be PascalCase letters and digits, e.g. Acme." >&2; exit 2; }
[[ "$key" =~ ^[A-Z][A-Z0-9_]*$ && "$base" =~ ^[A-Z][A-Z0-9_]*$ ]] || { echo "The variables must be UPPER_SNAKE_CASE." >&2; exit 2; }

providers_load
lower=$(echo "$name" | tr '[:upper:]' '[:lower:]')
from_lower=$(echo "$from" | tr '[:upper:]' '[:lower:]')
row=-1
for i in "${!PROVIDER_PROJECTS[@]}"; do
  [ "${PROVIDER_NAMES[$i]}" = "$lower" ] && { echo "deploy/providers already has a provider '$lower'." >&2; exit 1; }
  [ "${PROVIDER_PROJECTS[$i]}" = "CCApi.Adapters.$from" ] && row=$i
done
[ "$row" -ge 0 ] && [ -n "${PROVIDER_KEYS[$row]}" ] ||
  { echo "CCApi.Adapters.$from is not an upstream adapter of deploy/providers to copy." >&2; exit 1; }
from_key=${PROVIDER_KEYS[$row]} from_base=${PROVIDER_BASES[$row]}

copy() { # source-dir target-dir
  [ -e "$2" ] && { echo "$2 exists already." >&2; exit 1; }
  local file target
  while IFS= read -r -d '' file; do
    target="$2/${file#"$1"/}"
    target="${target//$from/$name}"
    mkdir -p "$(dirname "$target")"
    sed -e "s/$from_key/$key/g" -e "s/$from_base/$base/g" -e "s/$from/$name/g" -e "s/$from_lower/$lower/g" "$file" >"$target"
  done < <(find "$1" -type f -not -path '*/bin/*' -not -path '*/obj/*' -print0)
}
copy "services/CCApi.Adapters.$from" "services/CCApi.Adapters.$name"
copy "tests/CCApi.Adapters.$from.Tests" "tests/CCApi.Adapters.$name.Tests"
copy "tests/CCApi.Emulators/$from" "tests/CCApi.Emulators/$name"

printf '%-28s %-19s %-20s %-18s %s\n' "CCApi.Adapters.$name" "$key" "$base" "${PROVIDER_KINDS[$row]}" "${PROVIDER_OPTIONS[$row]}" |
  sed 's/ *$//' >>deploy/providers
dotnet sln CCApi.Platform.sln add "services/CCApi.Adapters.$name/CCApi.Adapters.$name.csproj" \
  "tests/CCApi.Adapters.$name.Tests/CCApi.Adapters.$name.Tests.csproj" >/dev/null
scripts/generate-deploy.sh >/dev/null

cat <<INFO
Created CCApi.Adapters.$name (provider "$lower"), its tests and its emulator from CCApi.Adapters.$from; added its row to
deploy/providers and both projects to CCApi.Platform.sln; regenerated compose, k8s and the solution filter.
Next (docs/adding-a-provider.md): add provider "$lower" and its models to deploy/catalog.json, then make the copy your
provider's — Upstream/, the options, tests/CCApi.Emulators/$name and the tests.
INFO
