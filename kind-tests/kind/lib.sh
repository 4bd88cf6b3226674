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
# How the demo pods' traffic reaches their sidecars: CAPTURE, or --capture for up.sh. NONE (default):
# manifests/demo, the app calls mesh names that the sidecar's DNS proxy answers with 127.0.0.2, where
# its outbound listeners are. REDIRECT: the same Deployments with the Component manifests/capture, an
# init container running `isthmus iptables --mode REDIRECT --redirect-dns` and the sidecar in group
# 1337 with INTERCEPTION_MODE=REDIRECT and its DNS proxy on 15053, where the app's queries to the
# cluster DNS are captured (manifests/demo-capture; docs/capture.md).
CAPTURE="${CAPTURE:-NONE}"
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

# The cluster DNS of a cluster as the demo sidecars' --dns-upstream: kube-system/kube-dns's ClusterIP
# (in the cluster's own SVC_CIDR) and port 53. The demo pods' only nameserver is their sidecar's DNS
# proxy (127.0.0.1); it forwards names outside the mesh here, and the proxy's own lookups (the
# controller's name) go here directly. Stored in ConfigMap default/isthmus-cluster, key dns.
cluster_dns() {
  local c="$1" ip
  ip="$(kubectl --context "$(ctx "$c")" -n kube-system get service kube-dns -o jsonpath='{.spec.clusterIP}')"
  [ -n "$ip" ] || die "cluster $c has no kube-system/kube-dns ClusterIP"
  printf '%s:53' "$ip"
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

# Parses "--capture MODE" (or "--capture=MODE") off ARGS into CAPTURE and checks the mode (NONE or
# REDIRECT, any case); the rest stay in ARGS.
parse_capture_flag() {
  local rest=()
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --capture) [ "$#" -ge 2 ] || die "--capture needs a mode (NONE or REDIRECT)"; CAPTURE="$2"; shift 2 ;;
      --capture=*) CAPTURE="${1#--capture=}"; shift ;;
      *) rest+=("$1"); shift ;;
    esac
  done
  ARGS=("${rest[@]}")
  CAPTURE="$(printf '%s' "$CAPTURE" | tr '[:lower:]' '[:upper:]')"
  case "$CAPTURE" in
    NONE | REDIRECT) ;;
    TPROXY) die "capture TPROXY: the kind manifests capture with REDIRECT (a TPROXY sidecar needs NET_ADMIN; see docs/capture.md)" ;;
    *) die "capture '$CAPTURE' is neither NONE nor REDIRECT" ;;
  esac
}

# Writes into DIR a kustomization of the given demo files (paths under manifests/, e.g.
# demo/reviews.yaml) with the capture Component: one cluster's share of manifests/demo-capture. The
# files and the Component are copied into DIR, since kustomize loads files only from under the
# kustomization's own directory.
capture_demo() {
  local dir="$1" f
  shift
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -r "$MANIFESTS/capture" "$dir/capture"
  {
    printf '%s\n' "# Demo workloads with transparent capture (written by kind-tests/kind/lib.sh capture_demo)." \
      "apiVersion: kustomize.config.k8s.io/v1beta1" "kind: Kustomization" "resources:"
    for f in "$@"; do
      [ -f "$MANIFESTS/$f" ] || die "no manifest topology-configs/manifests/$f"
      cp "$MANIFESTS/$f" "$dir/"
      printf '  - %s\n' "$(basename "$f")"
    done
    printf '%s\n' "components:" "  - capture"
  } >"$dir/kustomization.yaml"
}
