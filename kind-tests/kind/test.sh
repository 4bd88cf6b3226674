#!/usr/bin/env bash
# Runs the end-to-end scenarios against the kind clusters made by up.sh instead of the local
# federation: -Disthmus.e2e.target=kind selects them, -Disthmus.e2e.kind.contexts names them.
# Usage: kind-tests/kind/test.sh [extra maven arguments, e.g. -Dit.test=FailoverIT]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need kubectl mvn

contexts=""
for c in "${CLUSTERS[@]}"; do
  kubectl --context "$(ctx "$c")" get ns isthmus-system >/dev/null || die "cluster $c is not up (run up.sh)"
  contexts="${contexts:+$contexts,}$(ctx "$c")"
done
cd "$REPO_ROOT"
exec mvn -B -pl kind-tests verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Disthmus.e2e.target=kind -Disthmus.e2e.kind.contexts="$contexts" "$@"
