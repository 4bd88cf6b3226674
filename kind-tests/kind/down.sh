#!/usr/bin/env bash
# Deletes the kind clusters made by up.sh and their work directory.
# Usage: kind-tests/kind/down.sh [cluster...]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need kind

if [ "$#" -gt 0 ]; then
  CLUSTERS=("$@")
fi
for c in "${CLUSTERS[@]}"; do
  if kind get clusters | grep -qx "$c"; then
    log "deleting cluster $c"
    kind delete cluster --name "$c"
  fi
done
rm -rf "$WORK"
