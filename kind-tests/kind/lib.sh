#!/usr/bin/env bash
# Shared settings and helpers of the kind scripts. Sourced, not run.
# shellcheck disable=SC2034  # variables are used by the scripts that source this file

set -euo pipefail

KIND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$KIND_DIR/../.." && pwd)"
MANIFESTS="$REPO_ROOT/topology-configs/manifests"
WORK="${ISTHMUS_KIND_WORK:-$REPO_ROOT/.isthmus/kind}"
IMAGE="${ISTHMUS_IMAGE:-isthmus/isthmus:dev}"
# The proxy's JVM options, copied into the image for `isthmus proxy` and `isthmus gateway`.
PROXY_JVM_OPTIONS="$REPO_ROOT/sidecar/src/main/resources/io/isthmus/sidecar/jvm.options"
# Workload certificate lifetime the demo pods' sidecars ask for (the image's launcher passes
# ISTHMUS_CERT_TTL as --cert-ttl): short, so the rotation scenario sees renewals during a run.
CERT_TTL="${ISTHMUS_CERT_TTL:-120s}"
# Clusters of two-clusters-multi-network.yaml: name, pod CIDR, service CIDR, region.
CLUSTERS=(east west)
declare -A POD_CIDR=([east]=10.110.0.0/16 [west]=10.120.0.0/16 [north]=10.130.0.0/16)
declare -A SVC_CIDR=([east]=10.111.0.0/16 [west]=10.121.0.0/16 [north]=10.131.0.0/16)
declare -A REGION=([east]=us-east [west]=us-west [north]=eu-north)

log() {
  printf '[kind] %s\n' "$*" >&2
}

die() {
  printf '[kind] error: %s\n' "$*" >&2
  exit 1
}

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required (kind, kubectl, docker, java 17, maven)"
  done
}

ctx() {
  printf 'kind-%s' "$1"
}

# The isthmus command line, built from this checkout.
isthmus() {
  "$REPO_ROOT/isthmus" "$@"
}

# The address other clusters reach a cluster's API server at (its control-plane node on the
# shared docker network).
api_server_url() {
  local ip
  ip="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1-control-plane")"
  printf 'https://%s:6443' "$ip"
}
