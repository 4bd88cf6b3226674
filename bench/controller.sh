#!/usr/bin/env bash
# Federation controller benchmarks, written to the "## controller" section of bench/RESULTS.md:
#  1. endpoint propagation latency: an EndpointSlice update on a remote cluster's API server (west, a
#     fabric8 mock API server) until a proxy connected to another cluster's controller (east, joined
#     to west by remote secret, registry in Hazelcast) ACKs the EDS showing it; p50/p90/p99;
#  2. scale: S services x E endpoints x C clusters, N simulated ADS clients on one controller:
#     initial sync, full push (a gateway address change that alters every client's EDS), heap after
#     GC, process CPU. The clients run in the controller's JVM, so CPU includes their decoding.
#
# Usage: bench/controller.sh [--changes 1000] [--rate 10] [--debounce 100]
#                            [--services 1000] [--endpoints 30] [--clusters 3] [--clients 1000] [--rounds 3]
# Needs: a JDK 17+ and Maven. Not part of the test suite. ISTHMUS_BENCH_CP skips the build (a classpath
# holding federation-controller's test and main classes and its test dependencies).
set -euo pipefail

CHANGES=1000; RATE=10; DEBOUNCE=100
SERVICES=1000; ENDPOINTS=30; CLUSTERS=3; CLIENTS=1000; ROUNDS=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --changes) CHANGES="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --debounce) DEBOUNCE="$2"; shift 2 ;;
    --services) SERVICES="$2"; shift 2 ;;
    --endpoints) ENDPOINTS="$2"; shift 2 ;;
    --clusters) CLUSTERS="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [[ -n "${ISTHMUS_BENCH_CP:-}" ]]; then
  CP="$ISTHMUS_BENCH_CP"
else
  echo "building federation-controller (main and test classes)..." >&2
  mvn_q() { mvn -B -q -o "$@" >&2 2>/dev/null || mvn -B -q "$@" >&2; }
  mvn_q -pl mesh-api,trust-bundle install -DskipTests
  mvn_q -pl federation-controller test-compile
  mvn_q -pl federation-controller dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
  CP="federation-controller/target/test-classes:federation-controller/target/classes:$(cat "$WORK/cp.txt")"
fi

JVM_FLAGS=(--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=error)
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "propagation: $CHANGES changes at $RATE/s..." >&2
PROP="$(java -Xmx1g "${JVM_FLAGS[@]}" -cp "$CP" io.isthmus.controller.bench.ControllerPropagationBench \
  "$CHANGES" "$RATE" "$DEBOUNCE" HAZELCAST | grep '^RESULT' || true)"
echo "$PROP" >&2

echo "scale: $SERVICES services x $ENDPOINTS endpoints x $CLUSTERS clusters, $CLIENTS clients..." >&2
SCALE="$(java -Xmx4g "${JVM_FLAGS[@]}" -cp "$CP" io.isthmus.controller.bench.ControllerScaleBench \
  "$SERVICES" "$ENDPOINTS" "$CLUSTERS" "$CLIENTS" "$ROUNDS" HAZELCAST | tee -a /dev/stderr | grep '^RESULT' || true)"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

field() { # line key
  tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'
}

CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
MEM="$(awk '/MemTotal/ {printf "%d GiB", $2/1024/1024 + 0.5}' /proc/meminfo)"
JAVA="$(java -version 2>&1 | head -1)"
SECTION="$WORK/section.md"
{
  echo "## controller"
  echo
  echo "\`bench/controller.sh\`: endpoint propagation from a remote API server to a proxy's ACK on another cluster's"
  echo "controller, and one controller's cost at scale with simulated ADS clients (state of the world, sidecar views)."
  echo
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ). Machine: $CPU, $(nproc) cores, $MEM; $JAVA."
  echo "Load average before/after: $LOAD_BEFORE / $LOAD_AFTER (other work shares these cores)."
  echo
  echo "| propagation (Hazelcast registry, debounce $(field "$PROP" debounce_ms) ms) | value |"
  echo "|---|---:|"
  echo "| changes issued at $(field "$PROP" rate)/s | $(field "$PROP" changes) |"
  echo "| changes seen by the proxy | $(field "$PROP" arrived) |"
  echo "| p50 | $(field "$PROP" p50_ms) ms |"
  echo "| p90 | $(field "$PROP" p90_ms) ms |"
  echo "| p99 (target < 500 ms) | $(field "$PROP" p99_ms) ms |"
  echo "| max | $(field "$PROP" max_ms) ms |"
  echo
  echo "| scale: $(field "$SCALE" services) services x $(field "$SCALE" endpoints) endpoints x $(field "$SCALE" clusters) clusters, $(field "$SCALE" clients) ADS clients | value |"
  echo "|---|---:|"
  echo "| initial sync (all clients connected and holding their EDS) | $(field "$SCALE" sync_ms) ms |"
  echo "| full push, median of $ROUNDS (every client has the new EDS) | $(field "$SCALE" push_ms_median) ms |"
  echo "| process CPU per full push (controller + clients), median | $(field "$SCALE" push_cpu_ms_median) ms |"
  echo "| heap after GC with all clients connected (target < 1 GiB) | $(field "$SCALE" heap_mib) MiB |"
  echo
  echo "Reading: propagation includes the remote API server's watch, the informer, the Hazelcast registry"
  echo "(CAS write, entry event, local mirror), the debounce (quiet 100 ms, at most 200 ms after the first"
  echo "change) and the push; changes come every 100 ms, so most batches wait the full window. In the scale"
  echo "run every client is an east sidecar without Sidecar scoping, so each holds EDS for every service"
  echo "(about 30 endpoints per cluster load assignment, a few MB per client): a full push moves gigabytes"
  echo "through protobuf serialization and, in the same JVM, the clients' parsing, which is most of the CPU"
  echo "figure; the heap figure includes the clients. Pushes are throttled to 100 unanswered responses."
  echo
} > "$SECTION"

RESULTS="bench/RESULTS.md"
[[ -f "$RESULTS" ]] || printf '# Benchmark results\n\n' > "$RESULTS"
awk -v sect="$SECTION" '
  BEGIN { while ((getline l < sect) > 0) body = body l "\n" }
  /^## controller$/ { skip = 1; printf "%s", body; done = 1; next }
  skip && /^## / { skip = 0 }
  !skip { print }
  END { if (!done) printf "\n%s", body }
' "$RESULTS" > "$WORK/results.md"
cp "$WORK/results.md" "$RESULTS"
cat "$SECTION"
