#!/usr/bin/env bash
# Creates the kind clusters of a topology of topology-configs/ (distinct pod and service CIDRs,
# zone labels on the nodes), builds and loads the isthmus image, installs Isthmus from
# topology-configs/manifests with one shared root and an intermediate per primary cluster, deploys
# the demo app and creates the remote secrets the topology declares with
# `isthmus create-remote-secret`. A remote cluster (role: remote) gets no controller: its
# isthmus-controller Service points at its primary's east-west gateway (15443, server name
# isthmus-controller.isthmus-system.svc), which passes such connections to the primary's controller.
# Usage: kind-tests/kind/up.sh [--topology FILE] [--capture MODE] [cluster...]
#   --topology (or TOPOLOGY): two-clusters-multi-network.yaml (default) or three-clusters-primary-remote.yaml
#   --capture (or CAPTURE): how the demo pods reach their sidecars. NONE (default): manifests/demo,
#     mesh names resolve to the sidecar's outbound listeners on 127.0.0.2 through its DNS proxy.
#     REDIRECT: transparent capture, manifests/capture on the same Deployments (an init container
#     `isthmus-init` runs `isthmus iptables --mode REDIRECT --redirect-dns` as root with NET_ADMIN
#     and NET_RAW; the sidecar runs as user and group 1337 with INTERCEPTION_MODE=REDIRECT and no
#     capability; the pods keep the cluster's DNS, whose queries are captured and answered by the
#     sidecar's DNS proxy on 15053, which forwards names outside the mesh to the cluster DNS).
#     Running up.sh again with the other mode switches the installed demo.
#   cluster...: only these clusters of the topology (default: all of them)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_topology_flag "$@"
parse_capture_flag "${ARGS[@]}"
load_topology
need kind kubectl docker java mvn

if [ "${#ARGS[@]}" -gt 0 ]; then
  for c in "${ARGS[@]}"; do
    [ -n "${ROLE[$c]:-}" ] || die "cluster '$c' is not in $TOPOLOGY_FILE (clusters: ${CLUSTERS[*]})"
  done
  CLUSTERS=("${ARGS[@]}")
fi
mkdir -p "$WORK"
log "topology $TOPOLOGY_FILE: clusters ${CLUSTERS[*]}, demo capture $CAPTURE"

create_cluster() {
  local name="$1" config="$WORK/kind-$1.yaml" slot
  {
    cat <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: $name
networking:
  podSubnet: ${POD_CIDR[$name]}
  serviceSubnet: ${SVC_CIDR[$name]}
# The kubelets refresh mounted Secrets (the controller's cacerts, its --ca-dir) within 10 s
# instead of the default minute, so an operator's CA rotation reaches the controllers promptly.
kubeadmConfigPatches:
  - |
    kind: KubeletConfiguration
    syncFrequency: 10s
nodes:
  - role: control-plane
YAML
    for slot in ${SLOTS[$name]}; do
      cat <<YAML
  - role: worker
    labels:
      topology.kubernetes.io/region: ${REGION[$name]}
      topology.kubernetes.io/zone: ${REGION[$name]}-1$slot
      isthmus.io/zone-slot: "$slot"
YAML
    done
  } >"$config"
  if kind get clusters | grep -qx "$name"; then
    log "cluster $name exists"
  else
    log "creating cluster $name (pods ${POD_CIDR[$name]}, services ${SVC_CIDR[$name]}, zones ${SLOTS[$name]})"
    kind create cluster --config "$config" --wait 120s
  fi
}

build_image() {
  log "building the isthmus jars and image $IMAGE"
  (cd "$REPO_ROOT" && mvn -B -q -DskipTests install)
  rm -rf "$WORK/image" && mkdir -p "$WORK/image"
  cp "$REPO_ROOT/cli/target/isthmus-cli.jar" "$WORK/image/"
  cp -r "$REPO_ROOT/cli/target/lib" "$WORK/image/lib"
  cp "$KIND_DIR/image/Dockerfile" "$KIND_DIR/image/isthmus" "$KIND_DIR/image/isthmus-bootstrap" "$WORK/image/"
  cp "$PROXY_JVM_OPTIONS" "$WORK/image/proxy-jvm.options"
  docker build -q -t "$IMAGE" "$WORK/image"
}

make_pki() {
  if [ ! -f "$WORK/pki/root-cert.pem" ]; then
    isthmus ca init-root --out "$WORK/pki"
  fi
  local c
  for c in "${CLUSTERS[@]}"; do
    [ "${ROLE[$c]}" = primary ] || continue
    [ -f "$WORK/pki/$c/ca-cert.pem" ] || isthmus ca issue-intermediate --cluster "$c" --root-dir "$WORK/pki" --out "$WORK/pki/$c"
  done
}

# The address a cluster's east-west gateway is announced at (its node's, see install_cluster).
gateway_address() {
  kubectl --context "$(ctx "$1")" -n isthmus-system get service istio-eastwestgateway \
    -o jsonpath='{.status.loadBalancer.ingress[0].ip}'
}

# A primary that is the control plane of a remote cluster: its gateway passes the server name
# isthmus-controller.isthmus-system.svc on to its controller (the gateway's --controller-address).
expose_controller() {
  local c="$1" k args
  k=(kubectl --context "$(ctx "$c")")
  args="$("${k[@]}" -n isthmus-system get deployment istio-eastwestgateway -o jsonpath='{.spec.template.spec.containers[0].args[0]}')"
  case "$args" in
    *--controller-address*) return ;;
  esac
  log "gateway of $c passes isthmus-controller.isthmus-system.svc to its controller (primary of a remote cluster)"
  "${k[@]}" -n isthmus-system patch deployment istio-eastwestgateway --type json -p "[{\"op\":\"replace\",\
\"path\":\"/spec/template/spec/containers/0/args/0\",\"value\":\"$args --controller-address isthmus-controller.isthmus-system.svc:15012\"}]"
}

# A remote cluster's isthmus-controller Service (no selector, see overlays/<remote>) gets its
# primary's gateway as its endpoint.
point_at_primary() {
  local c="$1" primary="${CONTROL_PLANE[$1]}" address
  address="$(gateway_address "$primary")"
  [ -n "$address" ] || die "the gateway of $primary (control plane of $c) has no address yet"
  log "$c's isthmus-controller -> $primary's gateway $address:15443"
  kubectl --context "$(ctx "$c")" apply -f - <<YAML
apiVersion: v1
kind: Endpoints
metadata:
  name: isthmus-controller
  namespace: isthmus-system
  labels: {app: isthmus-controller}
subsets:
  - addresses: [{ip: "$address"}]
    ports: [{name: grpc-xds-tls, port: 15443, protocol: TCP}]
YAML
}

install_cluster() {
  local c="$1" k
  k=(kubectl --context "$(ctx "$c")")
  log "installing Isthmus in $c (${ROLE[$c]})"
  [ -d "$MANIFESTS/overlays/$c" ] || die "no overlay topology-configs/manifests/overlays/$c"
  kind load docker-image "$IMAGE" --name "$c"
  "${k[@]}" create namespace isthmus-system --dry-run=client -o yaml | "${k[@]}" apply -f -
  if [ "${ROLE[$c]}" = primary ]; then
    "${k[@]}" -n isthmus-system create secret generic cacerts --from-file="$WORK/pki/$c" --dry-run=client -o yaml \
      | "${k[@]}" apply -f -
  else
    # No CA here: the gateway only needs the root to verify the primary's controller.
    "${k[@]}" -n isthmus-system create secret generic cacerts --from-file=root-cert.pem="$WORK/pki/root-cert.pem" \
      --dry-run=client -o yaml | "${k[@]}" apply -f -
  fi
  # Without a load-balancer provider the gateway listens on its node (hostNetwork) and the
  # Service announces that node's address, which every kind cluster reaches on the docker network.
  # It stays on the zone-slot "a" worker, so a restarted gateway comes back at the same address.
  "${k[@]}" apply -k "$MANIFESTS/overlays/$c"
  "${k[@]}" -n isthmus-system patch deployment istio-eastwestgateway --type merge \
    -p '{"spec":{"template":{"spec":{"hostNetwork":true,"dnsPolicy":"ClusterFirstWithHostNet","nodeSelector":{"isthmus.io/zone-slot":"a"}}}}}'
  local r
  for r in "${CLUSTERS[@]}"; do
    if [ "${CONTROL_PLANE[$r]:-}" = "$c" ]; then
      expose_controller "$c"
      break
    fi
  done
  if [ "${ROLE[$c]}" = primary ]; then
    "${k[@]}" -n isthmus-system rollout status deployment/isthmus-controller --timeout=180s
  else
    point_at_primary "$c"
  fi
  "${k[@]}" -n isthmus-system rollout status deployment/istio-eastwestgateway --timeout=180s
  local node_ip
  node_ip="$("${k[@]}" -n isthmus-system get pod -l istio=eastwestgateway -o jsonpath='{.items[0].status.hostIP}')"
  "${k[@]}" -n isthmus-system patch service istio-eastwestgateway --subresource=status --type merge \
    -p "{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"$node_ip\"}]}}}"
  log "gateway of $c announced at $node_ip:15443"

  # dns: the cluster DNS, the demo sidecars' --dns-upstream (NONE: their pods' only nameserver is the
  # sidecar; REDIRECT: the app's queries to the cluster DNS are captured and sent to the sidecar)
  local dns
  dns="$(cluster_dns "$c")"
  "${k[@]}" -n default create configmap isthmus-cluster --from-literal=cluster="$c" --from-literal=network="network-$c" \
    --from-literal=dns="$dns" --dry-run=client -o yaml | "${k[@]}" apply -f -
  "${k[@]}" -n default create configmap isthmus-root-cert --from-file=root-cert.pem="$WORK/pki/root-cert.pem" \
    --dry-run=client -o yaml | "${k[@]}" apply -f -
  install_demo "$c"
  "${k[@]}" -n default set env deployment --all -c isthmus-proxy ISTHMUS_CERT_TTL="$CERT_TTL"
}

# The demo workloads of a cluster, in the CAPTURE mode: reviews everywhere, the client in east and
# north, details in west, ratings in east and west. North has one zone: one reviews workload
# (three-clusters-primary-remote.yaml). ratings-v2 runs without a sidecar: applied as it is in every
# mode; ratings-v1 (with a sidecar) runs in east only.
install_demo() {
  local c="$1" k f demo=(demo/reviews.yaml)
  k=(kubectl --context "$(ctx "$c")")
  case "$c" in
    east) demo+=(demo/client.yaml demo/ratings.yaml) ;;
    north) demo+=(demo/client.yaml) ;;
    west) demo+=(demo/details.yaml demo/ratings.yaml) ;;
  esac
  if [ "$CAPTURE" = NONE ]; then
    for f in "${demo[@]}"; do
      "${k[@]}" apply -f "$MANIFESTS/$f"
    done
  else
    capture_demo "$WORK/demo-capture-$c" "${demo[@]}"
    "${k[@]}" apply -k "$WORK/demo-capture-$c"
  fi
  if [ "$c" != west ]; then
    # A cluster that calls details without running it needs no Service of it in either mode: the
    # sidecar's DNS proxy answers the name (NONE: it is the pod's nameserver; REDIRECT: DNS capture
    # sends it the app's queries to the cluster DNS) with what the controller sent. Removes the
    # pod-less Service an earlier up.sh --capture REDIRECT made, before DNS capture.
    "${k[@]}" -n default delete service details --ignore-not-found
  fi
  if [ "$c" = north ]; then
    "${k[@]}" -n default delete deployment reviews-v2 --ignore-not-found
  fi
  if [ "$c" = east ] || [ "$c" = west ]; then
    "${k[@]}" apply -f "$MANIFESTS/demo/ratings-no-sidecar.yaml"
  fi
  if [ "$c" = west ]; then
    "${k[@]}" -n default delete deployment ratings-v1 --ignore-not-found
  fi
  log "demo of $c installed (capture $CAPTURE): ${demo[*]}"
}

join_clusters() {
  local pair holder of
  for pair in "${REMOTE_SECRETS[@]}"; do
    read -r holder of <<<"$pair"
    if [ -z "${ROLE[$holder]:-}" ] || [ -z "${ROLE[$of]:-}" ]; then
      continue
    fi
    log "remote secret: $holder holds $of"
    isthmus create-remote-secret --context "$(ctx "$of")" --name "$of" --server "$(api_server_url "$of")" \
      | kubectl --context "$(ctx "$holder")" apply -f -
  done
}

for c in "${CLUSTERS[@]}"; do
  create_cluster "$c"
done
build_image
make_pki
# Primaries first: a remote cluster's proxies need their primary's gateway address.
for c in "${CLUSTERS[@]}"; do
  if [ "${ROLE[$c]}" = primary ]; then install_cluster "$c"; fi
done
for c in "${CLUSTERS[@]}"; do
  if [ "${ROLE[$c]}" != primary ]; then install_cluster "$c"; fi
done
join_clusters
for c in "${CLUSTERS[@]}"; do
  kubectl --context "$(ctx "$c")" -n default wait --for=condition=Available deployment --all --timeout=300s
done
printf '%s\n' "$TOPOLOGY_FILE" >"$WORK/topology"
printf '%s\n' "$CAPTURE" >"$WORK/capture"
log "up: $(basename "$TOPOLOGY_FILE"), clusters ${CLUSTERS[*]}, demo capture $CAPTURE; run kind-tests/kind/test.sh"
