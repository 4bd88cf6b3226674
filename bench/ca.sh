#!/usr/bin/env bash
# Workload certificate issuance rate of the Isthmus CA (CSR signature check + issuance rules + signing,
# from a PEM CSR to the returned chain) beside `openssl speed ecdsap256` sign and verify rates, measured
# in the same run on this machine. Prints a markdown table with medians and ratios. Both sides are
# measured in wall-clock time (openssl with -elapsed), so both suffer alike from other load on the machine.
#
# Usage: bench/ca.sh [--rounds N] [--seconds S]      (defaults: 5 rounds of 3 s each)
# Needs: a JDK 17+, Maven, openssl. Not part of the test suite.
set -euo pipefail

ROUNDS=5
SECONDS_PER_ROUND=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_ROUND="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
command -v openssl >/dev/null || { echo "openssl is required (apt-get install openssl)" >&2; exit 1; }
CORES="$(nproc)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "building trust-bundle (main and test classes)..." >&2
mvn_q() { mvn -B -q -o "$@" >&2 2>/dev/null || mvn -B -q "$@" >&2; }
mvn_q -pl mesh-api,trust-bundle install -DskipTests
mvn_q -pl trust-bundle dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
CP="trust-bundle/target/test-classes:trust-bundle/target/classes:$(cat "$WORK/cp.txt")"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

isthmus_rate() { # threads
  java -Xmx512m -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    io.isthmus.trust.bench.IssuanceBench "$1" "$SECONDS_PER_ROUND" "$ROUNDS" \
    | awk '/^median/ {print $5}'
}

openssl_rates() { # multi -> prints "sign verify" medians over ROUNDS runs
  local multi="$1" i
  : > "$WORK/sign" ; : > "$WORK/verify"
  for ((i = 0; i < ROUNDS; i++)); do
    local args=(speed -mr -elapsed -seconds "$SECONDS_PER_ROUND")
    [[ "$multi" -gt 1 ]] && args+=(-multi "$multi")
    openssl "${args[@]}" ecdsap256 2>/dev/null | awk -F: '/^\+F4:/ {s=$4; v=$5} END {print s > "'"$WORK/sign"'.tmp"; print v > "'"$WORK/verify"'.tmp"}'
    cat "$WORK/sign.tmp" >> "$WORK/sign"; cat "$WORK/verify.tmp" >> "$WORK/verify"
  done
  echo "$(median < "$WORK/sign") $(median < "$WORK/verify")"
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "measuring Isthmus, 1 thread..." >&2
I1="$(isthmus_rate 1)"
echo "measuring Isthmus, $CORES threads..." >&2
IN="$(isthmus_rate "$CORES")"
echo "measuring openssl speed ecdsap256, 1 process..." >&2
read -r S1 V1 < <(openssl_rates 1)
echo "measuring openssl speed ecdsap256, $CORES processes..." >&2
read -r SN VN < <(openssl_rates "$CORES")

LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# An issuance needs one ECDSA verify (the CSR) and one ECDSA sign (the leaf): the best openssl could do
# for that pair of operations is 1 / (1/sign + 1/verify).
BOUND1="$(awk -v s="$S1" -v v="$V1" 'BEGIN {printf "%.0f", 1 / (1/s + 1/v)}')"
BOUNDN="$(awk -v s="$SN" -v v="$VN" 'BEGIN {printf "%.0f", 1 / (1/s + 1/v)}')"
r() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
f() { awk -v a="$1" 'BEGIN {printf "%.0f", a}'; }

CPU="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
JAVA="$(java -version 2>&1 | head -1)"
OSSL="$(openssl version)"
cat <<TABLE
Date: $(date -u +%Y-%m-%dT%H:%MZ). Machine: ${CPU}, ${CORES} cores, $(free -g | awk '/Mem:/ {print $2}') GiB; ${JAVA}; ${OSSL}.
Medians of ${ROUNDS} rounds of ${SECONDS_PER_ROUND} s. Load average before/after: ${LOAD_BEFORE} / ${LOAD_AFTER} (other work shares these cores).
Isthmus: PEM CSR -> checked -> signed EC P-256 leaf with chain (BouncyCastle signatures on the JVM).

| measure (per second) | 1 thread | ${CORES} threads |
|---|---:|---:|
| Isthmus workload issuances (CSR verify + rules + sign) | $(f "$I1") | $(f "$IN") |
| openssl speed ecdsap256 sign | $(f "$S1") | $(f "$SN") |
| openssl speed ecdsap256 verify | $(f "$V1") | $(f "$VN") |
| openssl bound for verify + sign, 1/(1/sign + 1/verify) | ${BOUND1} | ${BOUNDN} |
| ratio Isthmus / openssl bound | $(r "$I1" "$BOUND1") | $(r "$IN" "$BOUNDN") |
| ratio Isthmus / openssl sign | $(r "$I1" "$S1") | $(r "$IN" "$SN") |
TABLE
