#!/usr/bin/env bash
# Runs the end-to-end scenarios against the kind clusters made by up.sh instead of the local
# federation: -Disthmus.e2e.target=kind selects them, -Disthmus.e2e.kind.contexts names them,
# -Disthmus.e2e.kind.servers gives the API server addresses the clusters reach each other at
# (written into the remote secrets the join scenario re-creates). The test JVM runs outside any
# network namespace (ISTHMUS_E2E_TARGET=kind): it must reach the clusters' API servers.
# Scenarios that need the local federation's own parts abort with the reason (docs/kind.md).
# Usage: kind-tests/kind/test.sh [extra maven arguments, e.g. -Dit.test=FailoverIT]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need kubectl mvn docker

contexts=""
servers=""
for c in "${CLUSTERS[@]}"; do
  kubectl --context "$(ctx "$c")" get ns isthmus-system >/dev/null || die "cluster $c is not up (run up.sh)"
  contexts="${contexts:+$contexts,}$(ctx "$c")"
  servers="${servers:+$servers,}$c=$(api_server_url "$c")"
done
kubeconfig="${KUBECONFIG:-$HOME/.kube/config}"
cd "$REPO_ROOT"
ISTHMUS_E2E_TARGET=kind exec mvn -B -pl kind-tests verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Disthmus.e2e.target=kind -Disthmus.e2e.kind.contexts="$contexts" -Disthmus.e2e.kind.servers="$servers" \
  -Disthmus.e2e.kind.kubeconfig="${kubeconfig%%:*}" "$@"
