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
# The topology (a file of topology-configs/, by name or path): TOPOLOGY, or --topology for up.sh,
# test.sh and down.sh. Its clusters, their roles and its remote secrets are read from the file.
TOPOLOGY_GIVEN="${TOPOLOGY:-}"
TOPOLOGY="${TOPOLOGY:-two-clusters-multi-network.yaml}"
# Per cluster: pod CIDR, service CIDR, region (the kind clusters' own address plan).
declare -A POD_CIDR=([east]=10.110.0.0/16 [west]=10.120.0.0/16 [north]=10.130.0.0/16)
declare -A SVC_CIDR=([east]=10.111.0.0/16 [west]=10.121.0.0/16 [north]=10.131.0.0/16)
declare -A REGION=([east]=us-east [west]=us-west [north]=eu-north)
# Zone slots of each cluster's workers (one worker per slot, zone <region>-1<slot>): the demo
# Deployments select slot a (v1) and b (v2); north, one zone in the topology, has slot a only.
declare -A SLOTS=([east]="a b" [west]="a b" [north]="a")

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

# The topology file of a name (looked up in topology-configs/) or a path.
topology_file() {
  local t="$1"
  if [ -f "$t" ]; then
    printf '%s' "$t"
  elif [ -f "$REPO_ROOT/topology-configs/$t" ]; then
    printf '%s' "$REPO_ROOT/topology-configs/$t"
  else
    die "topology '$t' is neither a file nor in topology-configs/"
  fi
}

# Reads the topology into CLUSTERS (names in file order), ROLE, CONTROL_PLANE (remote -> primary)
# and REMOTE_SECRETS ("holder of" pairs). Refuses a cluster this file has no address plan for.
load_topology() {
  local file name role cp line
  file="$(topology_file "$TOPOLOGY")"
  TOPOLOGY_FILE="$file"
  CLUSTERS=()
  declare -gA ROLE=() CONTROL_PLANE=()
  REMOTE_SECRETS=()
  name=""
  # Only the clusters: block (two-space "- name:" items, four-space role/controlPlane keys).
  while IFS= read -r line; do
    case "$line" in
      "  - name: "*) name="${line#  - name: }"; CLUSTERS+=("$name"); ROLE[$name]=primary ;;
      "    role: "*) role="${line#    role: }"; ROLE[$name]="$role" ;;
      "    controlPlane: "*) cp="${line#    controlPlane: }"; CONTROL_PLANE[$name]="$cp" ;;
    esac
  done < <(sed -n '/^clusters:/,/^[a-zA-Z]/p' "$file")
  while IFS= read -r line; do
    REMOTE_SECRETS+=("$line")
  done < <(sed -n 's/.*{ *holder: *\([a-z0-9-]*\), *of: *\([a-z0-9-]*\) *}.*/\1 \2/p' "$file")
  [ "${#CLUSTERS[@]}" -gt 0 ] || die "topology $file names no clusters"
  for name in "${CLUSTERS[@]}"; do
    [ -n "${POD_CIDR[$name]:-}" ] || die "topology $file: cluster '$name' has no kind address plan in lib.sh (known: ${!POD_CIDR[*]})"
  done
}

# Parses "--topology FILE" (or "--topology=FILE") off the arguments into TOPOLOGY; the rest stay in ARGS.
parse_topology_flag() {
  ARGS=()
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --topology) [ "$#" -ge 2 ] || die "--topology needs a file"; TOPOLOGY="$2"; shift 2 ;;
      --topology=*) TOPOLOGY="${1#--topology=}"; shift ;;
      *) ARGS+=("$1"); shift ;;
    esac
  done
}
