#!/usr/bin/env bash
# Deletes the kind clusters made by up.sh and their work directory.
# Usage: kind-tests/kind/down.sh [--topology FILE] [cluster...]
#   default: the clusters of the topology up.sh last installed (or TOPOLOGY / --topology), e.g.
#   east, west and north for three-clusters-primary-remote.yaml
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ -z "$TOPOLOGY_GIVEN" ] && [ -f "$WORK/topology" ]; then
  TOPOLOGY="$(cat "$WORK/topology")"
fi
parse_topology_flag "$@"
load_topology
need kind

if [ "${#ARGS[@]}" -gt 0 ]; then
  CLUSTERS=("${ARGS[@]}")
fi
for c in "${CLUSTERS[@]}"; do
  if kind get clusters | grep -qx "$c"; then
    log "deleting cluster $c"
    kind delete cluster --name "$c"
  fi
done
rm -rf "$WORK"
