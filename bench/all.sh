#!/usr/bin/env bash
# Runs every benchmark in this folder, one after the other, each printing its markdown table.
# Benchmarks compare Isthmus with a baseline in the same run; they are never part of the tests.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
status=0
for script in "$here"/*.sh; do
  [ "$(basename "$script")" = all.sh ] && continue
  echo "== $(basename "$script")"
  if ! bash "$script"; then
    echo "!! $(basename "$script") failed" >&2
    status=1
  fi
done
exit "$status"
