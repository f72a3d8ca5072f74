#!/usr/bin/env bash
# Writes every deployment file that lists the provider adapters from deploy/providers, so adding a provider is a row
# there, not an edit of each file:
#   k8s/base/adapters/<provider>/   whole folders (kustomization, Deployment, Service, PodDisruptionBudget, ScaledObject)
#   the "generated" blocks of docker-compose.yml, k8s/base/kustomization.yaml, k8s/overlays/{dev,prod}/kustomization.yaml,
#   k8s/overlays/prod/secrets.template.yaml and deploy/prometheus/prometheus.yml (between "# BEGIN generated: <block>"
#   and "# END generated: <block>"; everything outside them is written by hand)
#   CCApi.Services.slnf            whole (JSON has no comments)
#
#   scripts/generate-deploy.sh           rewrites those files in place
#   scripts/generate-deploy.sh --check   writes nothing; exits 1 and prints the differences when they are stale
#                                        (tests/CCApi.Deploy.Tests runs this)
set -euo pipefail
CCAPI_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/providers.sh
source "$CCAPI_ROOT/scripts/providers.sh"
providers_load

BLOCK_FILES=(docker-compose.yml k8s/base/kustomization.yaml k8s/overlays/dev/kustomization.yaml
  k8s/overlays/prod/kustomization.yaml k8s/overlays/prod/secrets.template.yaml deploy/prometheus/prometheus.yml)
GENERATED_NOTE="Generated from deploy/providers by scripts/generate-deploy.sh: change the table (or the script), not this file."

# replace_block FILE BLOCK: the lines between FILE's markers of BLOCK become this function's standard input.
replace_block() {
  local file=$1 block=$2 content
  content=$(mktemp)
  cat >"$content"
  grep -q "# BEGIN generated: $block\$" "$file" && grep -q "# END generated: $block\$" "$file" ||
    { echo "$file has no '# BEGIN generated: $block' / '# END generated: $block' markers." >&2; rm -f "$content"; return 1; }
  awk -v begin="# BEGIN generated: $block" -v end="# END generated: $block" -v content="$content" '
    skip && index($0, end) { skip = 0 }
    !skip { print }
    index($0, begin) { while ((getline line < content) > 0) print line; skip = 1 }
  ' "$file" >"$file.tmp"
  mv "$file.tmp" "$file"
  rm -f "$content"
}

# k8s_object API-VERSION KIND NAME [component]: the object's head, its name and app.kubernetes.io labels.
k8s_object() {
  printf 'apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  labels:\n    app.kubernetes.io/name: %s\n' "$1" "$2" "$3" "$3"
  [ -z "${4:-}" ] || echo "    app.kubernetes.io/component: $4"
}

adapter_folder() { # index directory
  local i=$1 dir=$2 name=adapter-${PROVIDER_NAMES[$1]} provider=${PROVIDER_NAMES[$1]}
  local memory blob key=${PROVIDER_KEYS[$1]} base=${PROVIDER_BASES[$1]}
  memory=$(provider_option "$i" memory 384Mi)
  blob=$(provider_option "$i" blob-urls)
  mkdir -p "$dir"
  cat >"$dir/kustomization.yaml" <<EOF
# ${PROVIDER_PROJECTS[$i]}: provider "$provider" (queues $(kind_queues "$i" ", ")).
# $GENERATED_NOTE
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
  - pdb.yaml
  - scaledobject.yaml
EOF
  {
    cat <<EOF
# ${PROVIDER_PROJECTS[$i]} (provider "$provider"). Every adapter has this shape.
# $GENERATED_NOTE
$(k8s_object apps/v1 Deployment "$name" adapter)
spec:
  # No replicas: KEDA (scaledobject.yaml) owns the count from the depth of this adapter's queues.
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  selector:
    matchLabels:
      app.kubernetes.io/name: $name
  template:
    metadata:
      labels:
        app.kubernetes.io/name: $name
        app.kubernetes.io/component: adapter
      # /metrics (OpenTelemetry's Prometheus exporter, Telemetry:MetricsPath) on the metrics port alone (ccapi-common:
      # Telemetry__MetricsPort), for a Prometheus that discovers pods by these annotations; overlays/prod adds a
      # ServiceMonitor for the Prometheus Operator. The http port answers /metrics 404, whatever routes to it.
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9464"
        prometheus.io/path: /metrics
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      # > Messaging:StopTimeout (25 s), so in-flight consumers finish (or are redelivered) before SIGKILL.
      terminationGracePeriodSeconds: 40
      securityContext:
        runAsNonRoot: true
        runAsUser: 1654 # \$APP_UID of the .NET images
        runAsGroup: 1654
        fsGroup: 1654
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: $name
          image: ccapi/$name
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
            - name: metrics
              containerPort: 9464
              protocol: TCP
          envFrom:
            - configMapRef:
                name: ccapi-common
EOF
    [ -n "$blob" ] && cat <<EOF
            # BlobUrls__PublicBaseUrl + BlobUrls__SigningKey: uploaded input images reach the provider as signed gateway URLs.
            - configMapRef:
                name: ccapi-blob-urls
EOF
    cat <<EOF
            - secretRef:
                name: ccapi-rabbitmq
            - secretRef:
                name: ccapi-redis
EOF
    [ -n "$blob" ] && cat <<EOF
            - secretRef:
                name: ccapi-blob-signing
EOF
    [ -n "$key" ] && cat <<EOF
            # $key${base:+ (and optionally $base)}: without a key the adapter runs and reports "unavailable".
            - secretRef:
                name: $name-secrets
EOF
    cat <<EOF
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: OTEL_RESOURCE_ATTRIBUTES
              value: k8s.pod.name=\$(POD_NAME),k8s.namespace.name=\$(POD_NAMESPACE)
          # Start-up may wait for the bus (MassTransit WaitUntilStarted, up to 60 s): give it 90 s before liveness.
          startupProbe:
            httpGet:
              path: /health/live
              port: http
            periodSeconds: 2
            timeoutSeconds: 2
            failureThreshold: 45
          # Ready = bus and Redis reachable: an outage takes the pod out of the Service, it does not restart it.
          readinessProbe:
            httpGet:
              path: /health/ready
              port: http
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
          # Live = the process answers. Never RabbitMQ or Redis.
          livenessProbe:
            httpGet:
              path: /health/live
              port: http
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 3
          resources:
            requests:
              cpu: 250m
              memory: 128Mi
            limits:
              cpu: "2"
              memory: $memory
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 256Mi
EOF
  } >"$dir/deployment.yaml"
  cat >"$dir/service.yaml" <<EOF
# Adapters take no traffic; this Service gives the pods a stable name for port-forwarding and health checks.
# $GENERATED_NOTE
$(k8s_object v1 Service "$name" adapter)
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: $name
  ports:
    - name: http
      port: 80
      targetPort: http
      protocol: TCP
    - name: metrics
      port: 9464
      targetPort: metrics
      protocol: TCP
EOF
  cat >"$dir/pdb.yaml" <<EOF
# $GENERATED_NOTE
$(k8s_object policy/v1 PodDisruptionBudget "$name")
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: $name
EOF
  {
    cat <<EOF
# Scales the adapter on the depth of its provider's queues: one trigger per queue the adapter consumes, named
# Queues.For(provider, kind) = "{provider}-{chat|image|speech}" and, for images, Queues.ForAsyncImages(provider) =
# "{provider}-image-async" (shared/CCApi.Contracts/Queues.cs). KEDA takes the largest replica count any trigger asks for.
# $GENERATED_NOTE
$(k8s_object keda.sh/v1alpha1 ScaledObject "$name")
spec:
  scaleTargetRef:
    name: $name
  # Never 0: an adapter publishes ProviderHeartbeat; with no replica the catalog marks the provider unavailable and
  # the gateway answers 503 without queueing anything, so queue depth could never bring a replica back.
  minReplicaCount: 1
  maxReplicaCount: $(provider_option "$i" max-replicas 5)
  pollingInterval: 10
  cooldownPeriod: 300
  triggers:
    # value = ready messages per replica before another replica is added (amqp protocol counts ready messages).
EOF
    local kind depth
    for kind in $(queue_kinds "$i"); do
      case "$kind" in
        chat) depth=50 ;; image) depth=20 ;; speech) depth=10 ;;
        image-async) depth=$(provider_option "$i" depth-image 20) ;; # as the synchronous queue unless set on its own
        *) echo "deploy/providers: unknown kind '$kind'." >&2; return 1 ;;
      esac
      cat <<EOF
    - type: rabbitmq
      name: $provider-$kind
      metadata:
        protocol: amqp
        mode: QueueLength
        queueName: $provider-$kind
        value: "$(provider_option "$i" "depth-$kind" "$depth")"
      authenticationRef:
        name: rabbitmq-queue-depth
EOF
    done
  } >"$dir/scaledobject.yaml"
}

queue_kinds() { # index: the queues' suffixes, Queues.For and Queues.ForAsyncImages (an image adapter has two queues)
  local kind
  for kind in ${PROVIDER_KINDS[$1]//,/ }; do
    echo "$kind"
    [ "$kind" != image ] || echo image-async
  done
}

kind_queues() { # index separator
  local kind out=()
  for kind in $(queue_kinds "$1"); do out+=("${PROVIDER_NAMES[$1]}-$kind"); done
  local IFS=$'\x1f'; local joined="${out[*]}"; echo "${joined//$'\x1f'/$2}"
}

compose_block() {
  local i key base runtime
  for i in "${!PROVIDER_PROJECTS[@]}"; do
    key=${PROVIDER_KEYS[$i]} base=${PROVIDER_BASES[$i]} runtime=$(provider_option "$i" runtime)
    cat <<EOF

  adapter-${PROVIDER_NAMES[$i]}:
    image: ccapi/adapter-${PROVIDER_NAMES[$i]}:\${CCAPI_TAG:-dev}
    build:
      context: .
      dockerfile: deploy/Dockerfile
      args:
        SERVICE: ${PROVIDER_PROJECTS[$i]}
EOF
    [ -n "$runtime" ] && echo "        RUNTIME: $runtime"
    cat <<EOF
    environment:
      ConnectionStrings__RabbitMq: amqp://\${RABBITMQ_USER:-ccapi}:\${RABBITMQ_PASSWORD:-ccapi-dev-only}@rabbitmq:5672/
      ConnectionStrings__Redis: redis:6379
      OTEL_EXPORTER_OTLP_ENDPOINT: http://otel-collector:4317
EOF
    if [ -n "$key" ]; then
      echo "      # No key = the adapter runs and the provider shows as unavailable; no base URL = the public API."
      echo "      $key: \${$key:-}"
      [ -n "$base" ] && echo "      $base: \${$base:-}"
    fi
    [ -n "$(provider_option "$i" blob-urls)" ] && cat <<EOF
      # Uploaded input images reach the provider as signed gateway file URLs, which only work when
      # CCAPI_PUBLIC_BASE_URL is reachable from the internet (same values as the gateway's).
      BlobUrls__SigningKey: \${CCAPI_BLOB_SIGNING_KEY:-dev-only-blob-signing-key-change-me-0123456789}
      BlobUrls__PublicBaseUrl: \${CCAPI_PUBLIC_BASE_URL:-http://localhost:8080}
EOF
    cat <<EOF
    read_only: true
    tmpfs: [/tmp]
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    stop_grace_period: 40s
    healthcheck: *ready
    depends_on:
      rabbitmq:
        condition: service_healthy
      redis:
        condition: service_healthy
    restart: unless-stopped
EOF
  done
  echo
}

images_block() { # new-name-prefix (empty for dev) tag
  local name
  for name in "${PROVIDER_NAMES[@]}"; do
    echo "  - name: ccapi/adapter-$name"
    [ -n "$1" ] && echo "    newName: $1/adapter-$name"
    echo "    newTag: $2"
  done
}

dev_secrets_block() {
  local i
  for i in "${!PROVIDER_PROJECTS[@]}"; do
    [ -n "${PROVIDER_KEYS[$i]}" ] || continue
    cat <<EOF
  # Empty key: the ${PROVIDER_NAMES[$i]} adapter runs and reports the provider "unavailable". Put a real key here only in a
  # cluster of your own.
  - name: adapter-${PROVIDER_NAMES[$i]}-secrets
    options:
      disableNameSuffixHash: true
    literals:
      - ${PROVIDER_KEYS[$i]}=
EOF
    [ -n "${PROVIDER_BASES[$i]}" ] && echo "      - ${PROVIDER_BASES[$i]}="
  done
  return 0
}

prod_secrets_block() {
  local i
  for i in "${!PROVIDER_PROJECTS[@]}"; do
    [ -n "${PROVIDER_KEYS[$i]}" ] || continue
    cat <<EOF
---
apiVersion: v1
kind: Secret
metadata:
  name: adapter-${PROVIDER_NAMES[$i]}-secrets
  namespace: ccapi
type: Opaque
stringData:
  # The platform's ${PROVIDER_PROJECTS[$i]#CCApi.Adapters.} key (never a client's). Empty = provider "${PROVIDER_NAMES[$i]}" unavailable.
  ${PROVIDER_KEYS[$i]}: REPLACE_ME
EOF
    [ -n "${PROVIDER_BASES[$i]}" ] && cat <<EOF
  # The provider's base URL; empty = its public API (the adapter's default).
  ${PROVIDER_BASES[$i]}: REPLACE_ME
EOF
  done
  return 0
}

solution_filter() {
  local project
  cat <<'EOF'
{
  "solution": {
    "path": "CCApi.Platform.sln",
    "projects": [
      "shared/CCApi.Contracts/CCApi.Contracts.csproj",
      "shared/CCApi.ServiceDefaults/CCApi.ServiceDefaults.csproj",
      "shared/CCApi.Outbound/CCApi.Outbound.csproj",
      "shared/CCApi.Messaging/CCApi.Messaging.csproj",
      "shared/CCApi.Storage/CCApi.Storage.csproj",
      "shared/CCApi.Adapters.Hosting/CCApi.Adapters.Hosting.csproj",
      "services/CCApi.Gateway/CCApi.Gateway.csproj",
      "services/CCApi.Catalog/CCApi.Catalog.csproj",
EOF
  printf '      "services/CCApi.JobStatus/CCApi.JobStatus.csproj"'
  for project in "${PROVIDER_PROJECTS[@]}"; do printf ',\n      "services/%s/%s.csproj"' "$project" "$project"; done
  printf '\n    ]\n  }\n}\n'
}

# generate ROOT: writes everything under ROOT (which holds copies of the block files).
generate() {
  local root=$1 i
  rm -rf "$root/k8s/base/adapters"
  for i in "${!PROVIDER_PROJECTS[@]}"; do adapter_folder "$i" "$root/k8s/base/adapters/${PROVIDER_NAMES[$i]}"; done
  compose_block | replace_block "$root/docker-compose.yml" adapters
  printf '  - adapters/%s\n' "${PROVIDER_NAMES[@]}" | replace_block "$root/k8s/base/kustomization.yaml" adapters
  images_block "" dev | replace_block "$root/k8s/overlays/dev/kustomization.yaml" adapter-images
  dev_secrets_block | replace_block "$root/k8s/overlays/dev/kustomization.yaml" adapter-secrets
  images_block registry.example.com/ccapi '"1.0.0"' | replace_block "$root/k8s/overlays/prod/kustomization.yaml" adapter-images
  prod_secrets_block | replace_block "$root/k8s/overlays/prod/secrets.template.yaml" adapter-secrets
  printf '          - adapter-%s:8080\n' "${PROVIDER_NAMES[@]}" | replace_block "$root/deploy/prometheus/prometheus.yml" adapters
  solution_filter >"$root/CCApi.Services.slnf"
}

if [ "${1:-}" = --check ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  for f in "${BLOCK_FILES[@]}"; do mkdir -p "$out/$(dirname "$f")"; cp "$CCAPI_ROOT/$f" "$out/$f"; done
  generate "$out"
  stale=0
  for f in "${BLOCK_FILES[@]}" CCApi.Services.slnf; do
    diff -u "$CCAPI_ROOT/$f" "$out/$f" || stale=1
  done
  diff -ru "$CCAPI_ROOT/k8s/base/adapters" "$out/k8s/base/adapters" || stale=1
  if [ "$stale" -ne 0 ]; then
    echo "The files above are stale: run scripts/generate-deploy.sh (deploy/providers changed, or they were edited by hand)." >&2
    exit 1
  fi
  echo "Up to date with deploy/providers (${#PROVIDER_PROJECTS[@]} adapters)."
elif [ $# -eq 0 ]; then
  generate "$CCAPI_ROOT"
  echo "Wrote the deployment files of ${#PROVIDER_PROJECTS[@]} adapters from deploy/providers."
else
  echo "usage: scripts/generate-deploy.sh [--check]" >&2
  exit 2
fi
