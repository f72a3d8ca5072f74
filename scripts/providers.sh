#!/usr/bin/env bash
# Reads deploy/providers, the one list of provider adapters (sourced by run.sh, test.sh and generate-deploy.sh).
# After providers_load, for i in 0..${#PROVIDER_PROJECTS[@]}-1:
#   PROVIDER_PROJECTS[i]  CCApi.Adapters.<Name>     PROVIDER_NAMES[i]  <name> (lower case)
#   PROVIDER_KEYS[i]      key variable or ""         PROVIDER_BASES[i]  base-URL variable or ""
#   PROVIDER_KINDS[i]     chat,image,...             PROVIDER_OPTIONS[i] the row's options, space-separated

: "${CCAPI_ROOT:?CCAPI_ROOT must be set before sourcing providers.sh}"
PROVIDERS_TABLE="$CCAPI_ROOT/deploy/providers"

providers_load() {
  PROVIDER_PROJECTS=() PROVIDER_NAMES=() PROVIDER_KEYS=() PROVIDER_BASES=() PROVIDER_KINDS=() PROVIDER_OPTIONS=()
  local project key base kinds options
  while read -r project key base kinds options; do
    case "$project" in "" | "#"*) continue ;; esac
    if [[ ! "$project" =~ ^CCApi\.Adapters\.[A-Za-z0-9]+$ ]] || [ -z "$kinds" ]; then
      echo "deploy/providers: '$project $key $base $kinds' is not 'CCApi.Adapters.<Name> key base-url kinds [options]'." >&2
      return 1
    fi
    PROVIDER_PROJECTS+=("$project")
    PROVIDER_NAMES+=("$(echo "${project#CCApi.Adapters.}" | tr '[:upper:]' '[:lower:]')")
    PROVIDER_KEYS+=("${key#-}")
    PROVIDER_BASES+=("${base#-}")
    PROVIDER_KINDS+=("$kinds")
    PROVIDER_OPTIONS+=("${options:-}")
  done <"$PROVIDERS_TABLE"
}

# provider_option INDEX NAME [DEFAULT]: the value of NAME=value in row INDEX's options; "1" for a bare flag.
provider_option() {
  local option
  for option in ${PROVIDER_OPTIONS[$1]}; do
    case "$option" in
      "$2") echo 1; return 0 ;;
      "$2"=*) echo "${option#*=}"; return 0 ;;
    esac
  done
  [ $# -ge 3 ] && echo "$3"
  return 0
}
