#!/usr/bin/env bash
# Creates the kind clusters of two-clusters-multi-network.yaml (distinct pod and service CIDRs,
# zone labels on the nodes), builds and loads the isthmus image, installs Isthmus from
# topology-configs/manifests with one shared root and an intermediate per cluster, deploys the
# demo app and joins the clusters with remote secrets made by `isthmus create-remote-secret`.
# Usage: kind-tests/kind/up.sh [cluster...]   (default: east west)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need kind kubectl docker java mvn

if [ "$#" -gt 0 ]; then
  CLUSTERS=("$@")
fi
mkdir -p "$WORK"

create_cluster() {
  local name="$1" config="$WORK/kind-$1.yaml"
  cat >"$config" <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: $name
networking:
  podSubnet: ${POD_CIDR[$name]}
  serviceSubnet: ${SVC_CIDR[$name]}
nodes:
  - role: control-plane
  - role: worker
    labels:
      topology.kubernetes.io/region: ${REGION[$name]}
      topology.kubernetes.io/zone: ${REGION[$name]}-1a
      isthmus.io/zone-slot: "a"
  - role: worker
    labels:
      topology.kubernetes.io/region: ${REGION[$name]}
      topology.kubernetes.io/zone: ${REGION[$name]}-1b
      isthmus.io/zone-slot: "b"
YAML
  if kind get clusters | grep -qx "$name"; then
    log "cluster $name exists"
  else
    log "creating cluster $name (pods ${POD_CIDR[$name]}, services ${SVC_CIDR[$name]})"
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
    [ -f "$WORK/pki/$c/ca-cert.pem" ] || isthmus ca issue-intermediate --cluster "$c" --root-dir "$WORK/pki" --out "$WORK/pki/$c"
  done
}

install_cluster() {
  local c="$1" k
  k=(kubectl --context "$(ctx "$c")")
  log "installing Isthmus in $c"
  kind load docker-image "$IMAGE" --name "$c"
  "${k[@]}" create namespace isthmus-system --dry-run=client -o yaml | "${k[@]}" apply -f -
  "${k[@]}" -n isthmus-system create secret generic cacerts --from-file="$WORK/pki/$c" --dry-run=client -o yaml \
    | "${k[@]}" apply -f -
  # Without a load-balancer provider the gateway listens on its node (hostNetwork) and the
  # Service announces that node's address, which every kind cluster reaches on the docker network.
  # It stays on the zone-slot "a" worker, so a restarted gateway comes back at the same address.
  "${k[@]}" apply -k "$MANIFESTS/overlays/$c"
  "${k[@]}" -n isthmus-system patch deployment istio-eastwestgateway --type merge \
    -p '{"spec":{"template":{"spec":{"hostNetwork":true,"dnsPolicy":"ClusterFirstWithHostNet","nodeSelector":{"isthmus.io/zone-slot":"a"}}}}}'
  "${k[@]}" -n isthmus-system rollout status deployment/isthmus-controller --timeout=180s
  "${k[@]}" -n isthmus-system rollout status deployment/istio-eastwestgateway --timeout=180s
  local node_ip
  node_ip="$("${k[@]}" -n isthmus-system get pod -l istio=eastwestgateway -o jsonpath='{.items[0].status.hostIP}')"
  "${k[@]}" -n isthmus-system patch service istio-eastwestgateway --subresource=status --type merge \
    -p "{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"$node_ip\"}]}}}"
  log "gateway of $c announced at $node_ip:15443"

  "${k[@]}" -n default create configmap isthmus-cluster --from-literal=cluster="$c" --from-literal=network="network-$c" \
    --dry-run=client -o yaml | "${k[@]}" apply -f -
  "${k[@]}" -n default create configmap isthmus-root-cert --from-file=root-cert.pem="$WORK/pki/root-cert.pem" \
    --dry-run=client -o yaml | "${k[@]}" apply -f -
  "${k[@]}" apply -f "$MANIFESTS/demo/reviews.yaml"
  case "$c" in
    east) "${k[@]}" apply -f "$MANIFESTS/demo/client.yaml" ;;
    west) "${k[@]}" apply -f "$MANIFESTS/demo/details.yaml" ;;
  esac
  "${k[@]}" -n default set env deployment --all -c isthmus-proxy ISTHMUS_CERT_TTL="$CERT_TTL"
}

join_clusters() {
  local holder of
  for holder in "${CLUSTERS[@]}"; do
    for of in "${CLUSTERS[@]}"; do
      [ "$holder" = "$of" ] && continue
      log "remote secret: $holder holds $of"
      isthmus create-remote-secret --context "$(ctx "$of")" --name "$of" --server "$(api_server_url "$of")" \
        | kubectl --context "$(ctx "$holder")" apply -f -
    done
  done
}

for c in "${CLUSTERS[@]}"; do
  create_cluster "$c"
done
build_image
make_pki
for c in "${CLUSTERS[@]}"; do
  install_cluster "$c"
done
join_clusters
for c in "${CLUSTERS[@]}"; do
  kubectl --context "$(ctx "$c")" -n default wait --for=condition=Available deployment --all --timeout=300s
done
log "up: clusters ${CLUSTERS[*]}; run kind-tests/kind/test.sh"
