#!/bin/bash
# Container health probe without curl or wget (the .NET runtime images have neither): one HTTP/1.0 GET over
# bash's /dev/tcp against this container's own port. Exit 0 only on a 200.
#   ccapi-healthcheck [/health/live|/health/ready]
set -euo pipefail

path="${1:-/health/ready}"
port="${CCAPI_HEALTHCHECK_PORT:-8080}"

exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' "${path}" >&3
IFS= read -r -t 5 status <&3
[[ "${status}" =~ ^HTTP/1\.[01]\ 200 ]]
