#!/usr/bin/env bash
# East-west gateway data path: throughput of long mTLS streams (Gbit/s) and new mTLS connections per
# second with their connect+handshake latency, to one BoringSSL server that requires a client
# certificate, measured in one run over three paths: directly, through HAProxy 2.6 in TCP mode routing
# on req.ssl_sni, and through the Isthmus gateway's passthrough listener (auto, splice and copy relays).
# Everything runs on loopback on this machine; the client, the server and the proxy share its cores.
# Prints a markdown table.
#
# Every path (HAProxy too) first carries the connection load for a warm-up, so that the gateway's JIT
# has compiled its connection path and the rounds measure the steady state. The proxy CPU columns are each
# proxy process's CPU (user + system, all threads, from /proc) per connection made and per GB streamed; the
# last column is the whole machine's busy CPU (all cores, /proc/stat) per GB streamed: client, server and
# proxy share these cores, so it shows work a relay moves onto the endpoints (a spliced stream's pages).
# A second table pairs each gateway path with each HAProxy path round by round (the rounds alternate over the
# paths, so the two measurements of a round share the machine's load of the moment): the median and range of the
# per-round ratios, and in how many rounds the gateway was at least HAProxy's equal.
#
# Usage: bench/gateway.sh [--seconds S] [--rounds R] [--streams N] [--workers N] [--warmup W] [--baseline REV]
#                         [--modes AUTO,SPLICE,COPY] [--paths REGEX] [--gateway-jvm-args "ARGS"]
#                         [--alt-jvm-options "OPTIONS"] [--alt-modes AUTO,COPY]
#        (defaults: 5 s, 3 rounds alternating over the paths, medians; 4 streams, 16 workers; 30 s warm-up
#        per path; --baseline also runs the gateway as of git revision REV, auto relay, for a before/after;
#        --modes: this build's relay modes to run; --paths: only the paths whose name matches, e.g.
#        'HAProxy 2.6 \(tcp, req.ssl_sni\)|Isthmus.*auto.*' for a quicker A/B; --gateway-jvm-args: extra
#        options of the gateway JVMs, {mode} replaced by the path's mode, e.g. for a JFR file per path;
#        the gateways run with the proxy's shipped JVM options, sidecar/src/main/resources/io/isthmus/sidecar/
#        jvm.options, as `isthmus gateway` does; --alt-jvm-options: one more gateway of this build per
#        --alt-modes mode (default AUTO) with these JVM options instead, side by side)
# Needs: a JDK 17+, Maven, haproxy (apt-get install haproxy). Not part of the test suite.
set -euo pipefail

SECS=5
ROUNDS=3
STREAMS=4
WORKERS=16
WARMUP=30
BASELINE=""
MODES="AUTO,SPLICE,COPY"
PATHS=""
GW_JVM_ARGS=""
ALT_JVM=""
ALT_MODES="AUTO"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --streams) STREAMS="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --baseline) BASELINE="$2"; shift 2 ;;
    --modes) MODES="$2"; shift 2 ;;
    --paths) PATHS="$2"; shift 2 ;;
    --gateway-jvm-args) GW_JVM_ARGS="$2"; shift 2 ;;
    --alt-jvm-options) ALT_JVM="$2"; shift 2 ;;
    --alt-modes) ALT_MODES="$2"; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
HAPROXY="$(command -v haproxy || true)"
[[ -n "$HAPROXY" ]] || { echo "haproxy is required (apt-get install haproxy)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "building east-west-gateway (main and test classes)..." >&2
mvn_q() { mvn -B -q -o "$@" >&2 2>/dev/null || mvn -B -q "$@" >&2; }
mvn_q -pl east-west-gateway test-compile
mvn_q -pl east-west-gateway dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
# A private copy of the classes, so that a rebuild of the module during the run cannot pull them away.
cp -r east-west-gateway/target/classes "$WORK/classes"
cp -r east-west-gateway/target/test-classes "$WORK/test-classes"
CP="$WORK/test-classes:$WORK/classes:$(cat "$WORK/cp.txt")"
PROPS=("-Dbench.modes=$MODES" "-Dbench.paths=$PATHS" "-Dbench.gatewayJvmArgs=$GW_JVM_ARGS" "-Dbench.altJvmOptions=$ALT_JVM" "-Dbench.altModes=$ALT_MODES"
  "-Dbench.rounds=true")
if [[ -n "$BASELINE" ]]; then
  echo "compiling east-west-gateway as of ${BASELINE}..." >&2
  mkdir -p "$WORK/baseline/src" "$WORK/baseline/classes"
  git archive "$BASELINE" east-west-gateway/src/main/java | tar -x -C "$WORK/baseline/src"
  find "$WORK/baseline/src" -name '*.java' > "$WORK/baseline/sources.txt"
  javac -nowarn -d "$WORK/baseline/classes" -cp "$(cat "$WORK/cp.txt")" "@$WORK/baseline/sources.txt" >&2
  PROPS+=("-Dbench.baseline=$WORK/baseline/classes")
  BASELINE_NAME="$(git rev-parse --short "$BASELINE")"
fi

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "measuring direct, HAProxy, gateway (${BASELINE:+previous build, }auto, splice, copy): ${WARMUP} s warm-up each, ${ROUNDS} rounds of ${SECS} s..." >&2
TABLE="$(java -Xmx1g -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  "${PROPS[@]}" io.isthmus.gateway.bench.GatewayBench "$SECS" "$ROUNDS" "$STREAMS" "$WORKERS" "$HAPROXY" "$WARMUP")"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

CPU="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
JAVA="$(java -version 2>&1 | head -1)"
cat <<OUT
Date: $(date -u +%Y-%m-%dT%H:%MZ). Machine: ${CPU}, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; ${JAVA}; $("$HAPROXY" -v | head -1 | cut -d' ' -f1-3).
Medians of ${ROUNDS} rounds of ${SECS} s per measurement, rounds alternating over the paths, after a ${WARMUP} s warm-up of each under the connection load${BASELINE:+; "previous build" = the gateway as of ${BASELINE_NAME}}; load average before/after: ${LOAD_BEFORE} / ${LOAD_AFTER} (other work shares these cores).

${TABLE}
OUT
