#!/usr/bin/env bash
# Runs the end-to-end scenarios against the kind clusters made by up.sh instead of the local
# federation: -Disthmus.e2e.target=kind selects them, -Disthmus.e2e.kind.contexts names them (one
# per cluster of the topology), -Disthmus.e2e.kind.topology is the topology file (which clusters
# are primaries with a controller and which are remote), -Disthmus.e2e.kind.servers gives the API
# server addresses the clusters reach each other at (written into the remote secrets the join
# scenario re-creates). The test JVM runs outside any network namespace (ISTHMUS_E2E_TARGET=kind):
# it must reach the clusters' API servers. Scenarios of another topology, or that need the local
# federation's own parts, abort with the reason (docs/kind.md).
# The scenarios run against the demo as up.sh installed it, in capture mode NONE or REDIRECT
# (up.sh --capture): they call through the pods' apps either way; in REDIRECT the apps' calls to
# ClusterIPs are captured by iptables instead of going to 127.0.0.2.
# Usage: kind-tests/kind/test.sh [--topology FILE] [extra maven arguments, e.g. -Dit.test=FailoverIT]
#   default topology: the one up.sh last installed
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ -z "$TOPOLOGY_GIVEN" ] && [ -f "$WORK/topology" ]; then
  TOPOLOGY="$(cat "$WORK/topology")"
fi
parse_topology_flag "$@"
load_topology
need kubectl mvn docker
if [ -f "$WORK/capture" ]; then
  log "demo pods in capture mode $(cat "$WORK/capture") (up.sh --capture)"
fi

contexts=""
servers=""
for c in "${CLUSTERS[@]}"; do
  kubectl --context "$(ctx "$c")" get ns isthmus-system >/dev/null || die "cluster $c is not up (run up.sh --topology $TOPOLOGY)"
  contexts="${contexts:+$contexts,}$(ctx "$c")"
  servers="${servers:+$servers,}$c=$(api_server_url "$c")"
done
kubeconfig="${KUBECONFIG:-$HOME/.kube/config}"
cd "$REPO_ROOT"
ISTHMUS_E2E_TARGET=kind exec mvn -B -pl kind-tests verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Disthmus.e2e.target=kind -Disthmus.e2e.kind.contexts="$contexts" -Disthmus.e2e.kind.servers="$servers" \
  -Disthmus.e2e.kind.topology="$TOPOLOGY_FILE" -Disthmus.e2e.kind.kubeconfig="${kubeconfig%%:*}" "${ARGS[@]}"
