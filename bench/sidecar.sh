#!/usr/bin/env bash
# Sidecar data path: client -> sidecar -> mTLS -> sidecar -> server, beside the same path through two
# HAProxy 2.6 instances doing mTLS between them, and beside no proxy at all. 1 KiB responses,
# HTTP/1.1 keep-alive. Measures added latency p50/p90/p99 at a fixed 1,000 requests/s, max requests/s,
# CPU seconds per 1,000 requests and RSS per proxy process; the client-side Isthmus sidecar has 100
# clusters configured. The Isthmus pair runs twice, side by side, with the JVM options the proxy ships
# with (sidecar/src/main/resources/io/isthmus/sidecar/jvm.options, what `isthmus proxy` runs with): with
# its default of 2 event loops, and with 1 (PROXY_CONFIG.concurrency 1), as each HAProxy runs 1 thread.
# Load: h2load (nghttp2) --h1 --rps, open loop at a fixed total rate spread over its clients, for the
# latency percentiles, computed from its per-request --log-file (checked against the min/max/mean h2load
# prints itself); wrk, closed loop, for max requests/s. BenchLoad (sidecar test classes) is only the
# app answering 1 KiB: h2load and wrk cover all the load.
# Everything runs on loopback on this machine; load generators, app and proxies share its cores.
# Prints a markdown section and replaces the "## sidecar" section of bench/RESULTS.md (unless --print-only).
# Memory per JVM option or environment variant (RSS, heap, metaspace, code cache, threads, classes): bench/sidecar-rss.sh.
#
# Usage: bench/sidecar.sh [--seconds S] [--warmup S] [--rounds N] [--connections N] [--rate R] [--nmt] [--print-only]
#                         [--alt-java JDK_HOME]
#   defaults: 10 s per measurement, 60 s warm-up per path at the fixed rate, in pieces of S seconds that each open
#   new connections (the proxies' C2 compiler is still busy 40-60 s into the load, bench/sidecar-tail.sh, and
#   recompiles the event loop at the first new connection after a warm-up on one set), 3 rounds alternating over the
#   paths (medians of the rounds are reported, each round's p99 too), then wrk with 32 connections for max
#   requests/s, a fixed rate of 1,000 req/s
#   (R/10 h2load clients of 10 req/s each: an HTTP/1.1 client has one request in flight, so at 10 req/s it
#   keeps its schedule as long as responses take under 100 ms; h2load paces each client on its own timer
#   from the moment it connects, and the connections open 1000/R ms apart, so the clients' sends
#   interleave into one request every 1000/R ms instead of arriving together)
#   --nmt: run the Isthmus proxies with -XX:NativeMemoryTracking=summary and add where the client-side
#          sidecar's memory goes (heap, metaspace, code...) to the section; NMT itself costs ~3-4 MB RSS.
#   --print-only: print the section, leave bench/RESULTS.md alone (trial runs).
#   --alt-java JDK_HOME: one more path, the default Isthmus pair (2 event loops, shipped options) run by
#          JDK_HOME/bin/java, to compare Java runtimes side by side in the same rounds.
# Needs: a JDK 17+, Maven, haproxy, wrk and h2load (installed with apt-get when missing, if possible). Not a test.
set -euo pipefail

SECS=10
WARMUP=60
ROUNDS=3
NMT=()
CONNS=32
RATE=1000
WRITE=1
ALT_JAVA=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --connections) CONNS="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --nmt) NMT=(-XX:NativeMemoryTracking=summary); shift ;;
    --print-only) WRITE=0; shift ;;
    --alt-java) ALT_JAVA="$2"; shift 2 ;;
    -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
(( RATE >= 10 && RATE % 10 == 0 )) || { echo "--rate must be a multiple of 10" >&2; exit 2; }
[[ -z "$ALT_JAVA" || -x "$ALT_JAVA/bin/java" ]] || { echo "--alt-java: no $ALT_JAVA/bin/java (give a JDK's home)" >&2; exit 2; }
PER_CLIENT=10
RATE_CLIENTS=$((RATE / PER_CLIENT))
STAGGER_MS=$(( RATE >= 1000 ? 1 : 1000 / RATE ))

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
for pkg in haproxy:haproxy wrk:wrk h2load:nghttp2-client; do
  if ! command -v "${pkg%%:*}" >/dev/null; then
    (timeout 300 apt-get install -y "${pkg#*:}" >/dev/null 2>&1) || true
  fi
  command -v "${pkg%%:*}" >/dev/null || { echo "${pkg%%:*} is required (apt-get install ${pkg#*:})" >&2; exit 1; }
done
HAPROXY="$(command -v haproxy)"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

echo "building sidecar (main and test classes)..." >&2
mvn_q() { mvn -B -q -o "$@" >&2 2>/dev/null || mvn -B -q "$@" >&2; }
mvn_q -pl sidecar dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
# A private copy of the classes, so that a rebuild of the module during the run cannot pull them away.
for _ in 1 2 3; do
  mvn_q -pl sidecar test-compile
  rm -rf "$WORK/classes" "$WORK/test-classes"
  cp -r sidecar/target/classes "$WORK/classes" 2>/dev/null; cp -r sidecar/target/test-classes "$WORK/test-classes" 2>/dev/null
  [[ -f "$WORK/test-classes/io/isthmus/sidecar/bench/BenchLoad.class" && -f "$WORK/classes/io/isthmus/sidecar/Sidecar.class" ]] && break
done
CP="$WORK/test-classes:$WORK/classes:$(cat "$WORK/cp.txt")"
OPTS_FILE=sidecar/src/main/resources/io/isthmus/sidecar/jvm.options
mapfile -t SHIPPED_OPTS < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$OPTS_FILE")
PROXY_COMMON=("${NMT[@]}" -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn --add-opens java.base/java.nio=ALL-UNNAMED)
JAVA_PROXY=(java "${SHIPPED_OPTS[@]}" "${PROXY_COMMON[@]}")
# The same proxies with one event loop each (a bootstrap's PROXY_CONFIG.concurrency: 1), as each HAProxy has one thread.
JAVA_PROXY_1=(java "${SHIPPED_OPTS[@]}" -Dbench.concurrency=1 "${PROXY_COMMON[@]}")
JAVA_LOAD=(java -Xmx256m -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)

APP=18080; IST_OUT=18081; IST_IN=18443; HA_OUT=18082; HA_IN=18444; ONE_OUT=18083; ONE_IN=18445; ALT_OUT=18084; ALT_IN=18446
AUTH="reviews.default.svc.cluster.local:9080"

start() { # name, command... (runs in this shell so that the cleanup knows the process)
  local name="$1"; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 300); do grep -q '^ready' "$WORK/$name.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '^ready' "$WORK/$name.log" || { echo "$name did not start:"; cat "$WORK/$name.log"; exit 1; } >&2
}
pid_of() { awk '/^ready/ {print $3; exit}' "$WORK/$1.log"; }

"${JAVA_LOAD[@]}" io.isthmus.sidecar.bench.BenchCerts "$WORK/certs"
C="$WORK/certs"
cat "$C/client/cert-chain.pem" "$C/client/key.pem" > "$WORK/client.pem"
cat "$C/server/cert-chain.pem" "$C/server/key.pem" > "$WORK/server.pem"

start app "${JAVA_LOAD[@]}" io.isthmus.sidecar.bench.BenchLoad app "$APP"
start ist-server "${JAVA_PROXY[@]}" io.isthmus.sidecar.bench.BenchProxy server "$C/server" "$IST_IN" "$APP"
start ist-client "${JAVA_PROXY[@]}" io.isthmus.sidecar.bench.BenchProxy client "$C/client" "$IST_OUT" "$IST_IN" 99
SRV_PID="$(pid_of ist-server)"; CLI_PID="$(pid_of ist-client)"
start one-server "${JAVA_PROXY_1[@]}" io.isthmus.sidecar.bench.BenchProxy server "$C/server" "$ONE_IN" "$APP"
start one-client "${JAVA_PROXY_1[@]}" io.isthmus.sidecar.bench.BenchProxy client "$C/client" "$ONE_OUT" "$ONE_IN" 99
OSRV_PID="$(pid_of one-server)"; OCLI_PID="$(pid_of one-client)"
if [[ -n "$ALT_JAVA" ]]; then
  JAVA_PROXY_ALT=("$ALT_JAVA/bin/java" "${SHIPPED_OPTS[@]}" "${PROXY_COMMON[@]}")
  start alt-server "${JAVA_PROXY_ALT[@]}" io.isthmus.sidecar.bench.BenchProxy server "$C/server" "$ALT_IN" "$APP"
  start alt-client "${JAVA_PROXY_ALT[@]}" io.isthmus.sidecar.bench.BenchProxy client "$C/client" "$ALT_OUT" "$ALT_IN" 99
  ASRV_PID="$(pid_of alt-server)"; ACLI_PID="$(pid_of alt-client)"
fi

cat > "$WORK/ha-client.cfg" <<CFG
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend out
  bind 127.0.0.1:$HA_OUT
  default_backend mesh
backend mesh
  http-reuse always
  server peer 127.0.0.1:$HA_IN ssl crt $WORK/client.pem ca-file $C/client/root-cert.pem verify required
CFG
cat > "$WORK/ha-server.cfg" <<CFG
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend in
  bind 127.0.0.1:$HA_IN ssl crt $WORK/server.pem ca-file $C/server/root-cert.pem verify required
  http-request set-header x-forwarded-client-cert "URI=%{+Q}[ssl_c_s_dn]"
  default_backend app
backend app
  http-reuse always
  server app 127.0.0.1:$APP
CFG
"$HAPROXY" -f "$WORK/ha-server.cfg" -db >"$WORK/ha-server.log" 2>&1 & HAS_PID=$!; PIDS+=("$HAS_PID")
"$HAPROXY" -f "$WORK/ha-client.cfg" -db >"$WORK/ha-client.log" 2>&1 & HAC_PID=$!; PIDS+=("$HAC_PID")
sleep 1

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
TCK="$(getconf CLK_TCK)"
f() { echo "$1" | awk -v i="$2" '{print $i}'; }

declare -A HOST PORT
HOST[direct]=127.0.0.1; PORT[direct]=$APP
HOST[haproxy]=127.0.0.1; PORT[haproxy]=$HA_OUT
HOST[isthmus]=127.0.0.2; PORT[isthmus]=$IST_OUT
HOST[one]=127.0.0.2; PORT[one]=$ONE_OUT
HOST[alt]=127.0.0.2; PORT[alt]=$ALT_OUT

# wrk, closed loop with CONNS connections on one thread: prints "requests/s errors".
saturate() { # host port seconds
  local out
  out="$(wrk -t 1 -c "$CONNS" -d "${3}s" -H "Host: $AUTH" "http://$1:$2/bench" 2>&1)" || true
  printf '%s\n' "$out" >>"$WORK/wrk.log"
  awk '/^Requests\/sec:/ {rps = $2}
       /Non-2xx or 3xx responses:/ {e += $NF}
       /Socket errors:/ {gsub(",", ""); e += $4 + $6 + $8 + $10}
       END {printf "%.0f %d\n", rps, e}' <<<"$out"
}
# h2load's "time for request" min/max/mean as microseconds, e.g. "312 41234 701".
h2_request_times() {
  awk '/^time for request:/ {
         for (i = 4; i <= 6; i++) { v = $i; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u)
           printf "%.0f ", (u == "s" ? v * 1e6 : u == "ms" ? v * 1e3 : v) }
         print "" }' <<<"$1"
}
# h2load open loop at RATE requests/s in total (RATE_CLIENTS clients of PER_CLIENT requests/s each,
# connections opened STAGGER_MS apart), RATE x seconds requests, HTTP/1.1 keep-alive: prints
# "p50 p90 p99 errors done achieved-req/s" (ms) from the per-request log, whose third column is the time
# from a request's start to the end of its response (microseconds).
fixed_rate() { # name host port seconds
  local log="$WORK/h2load-$1.tsv" out h2 mine
  out="$(timeout $(($4 * 10 + 60)) h2load --h1 -t 1 -c "$RATE_CLIENTS" --rps "$PER_CLIENT" -r 1 --rate-period "${STAGGER_MS}ms" \
    -n $((RATE * $4)) -H ":authority: $AUTH" --log-file="$log" "http://$2:$3/bench" 2>&1)" || true
  printf '%s\n' "$out" >"$WORK/h2load-$1.out"
  [[ -s "$log" ]] || { echo "h2load wrote no log for $1:" >&2; printf '%s\n' "$out" >&2; echo "- - - - 0 -"; return; }
  # The log must be what h2load itself summarizes: same count of requests done, same min/max/mean.
  h2="$(h2_request_times "$out")"
  mine="$(awk -F'\t' 'NR == 1 || $3 < mn {mn = $3} $3 > mx {mx = $3} {s += $3} END {printf "%.0f %.0f %.0f ", mn, mx, s / NR}' "$log")"
  awk -v a="$h2" -v b="$mine" -v done="$(awk '/^requests:/ {print $6}' <<<"$out")" -v n="$(wc -l <"$log")" -v p="$1" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    for (i = 1; i <= 3; i++) if (x[i] - y[i] > 0.02 * x[i] + 10 || y[i] - x[i] > 0.02 * x[i] + 10) bad = 1
    if (done != n) bad = 1
    if (bad) printf "warning: %s: h2load log (%d requests, min/max/mean us %s) differs from its summary (%s done, %s)\n", p, n, b, done, a > "/dev/stderr"
    else printf "%s: h2load log agrees with its summary (%d requests, min/max/mean us %s)\n", p, n, b > "/dev/stderr" }'
  sort -t$'\t' -k3,3n "$log" | awk -F'\t' -v failed="$(awk '/^requests:/ {print $10}' <<<"$out")" \
    -v achieved="$(awk '/^finished in/ {print $4}' <<<"$out")" '
    function rank(q,   r) { r = int(q * NR); if (r < q * NR) r++; return r < 1 ? 1 : r }
    {v[NR] = $3} $2 !~ /^2/ {bad++}
    END {printf "%.3f %.3f %.3f %d %d %.0f\n", v[rank(0.50)] / 1000, v[rank(0.90)] / 1000, v[rank(0.99)] / 1000,
         bad + failed, NR, achieved}'
}

PATHS=(direct haproxy isthmus one)
[[ -n "$ALT_JAVA" ]] && PATHS+=(alt)
pids_of() { # path -> "client-side-pid server-side-pid" (empty for direct)
  case $1 in haproxy) echo "$HAC_PID $HAS_PID" ;; isthmus) echo "$CLI_PID $SRV_PID" ;;
    one) echo "$OCLI_PID $OSRV_PID" ;; alt) echo "$ACLI_PID $ASRV_PID" ;; *) echo "" ;; esac
}
# Warm-up at the fixed rate, the traffic the rounds measure: a JVM's C2 compiler recompiles (and deoptimizes)
# whenever the shape of the traffic changes (bench/sidecar-tail.sh showed saturation right before a fixed-rate
# run leaves seconds of compilation inside the measurement), so saturation is measured only after the rounds.
# The warm-up runs in pieces as long as a round, each with new connections as every round has: a proxy warmed on
# one set of connections meets its accept and connection set-up code again at a round's start, and C2 then throws
# away (deoptimizes) its event loop's compiled code, whose type profile never saw an accept, and compiles it again
# inside the round (-XX:+PrintCompilation: EpollIoHandler::run and the epoll read path "made not entrant" at the
# first new connection after a warm-up of one piece).
echo "warming up (${WARMUP} s per path at ${RATE} rps, in pieces of ${SECS} s with new connections)..." >&2
for p in "${PATHS[@]}"; do
  for ((w = 0; w < WARMUP; w += SECS)); do
    fixed_rate "warmup-$p-$w" "${HOST[$p]}" "${PORT[$p]}" "$(( WARMUP - w < SECS ? WARMUP - w : SECS ))" >/dev/null
  done
done

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A LAT MAX CPU1 CPU2 ROUND_LAT ROUND_CPU1 ROUND_CPU2
for r in $(seq 1 "$ROUNDS"); do
  # Rounds alternate over the paths, starting one path later each round, so no path always follows the same one.
  for i in $(seq 0 $((${#PATHS[@]} - 1))); do
    p="${PATHS[$(( (i + r - 1) % ${#PATHS[@]} ))]}"
    read -r P1 P2 <<<"$(pids_of "$p")"
    [[ -n "$P1" ]] && { A1=$(cpu_ticks "$P1"); A2=$(cpu_ticks "$P2"); }
    echo "round $r/$ROUNDS: $p at ${RATE} rps for ${SECS}s (h2load)..." >&2
    ROUND_LAT[$p,$r]="$(fixed_rate "$p-$r" "${HOST[$p]}" "${PORT[$p]}" "$SECS")"
    if [[ -n "$P1" ]]; then
      B1=$(cpu_ticks "$P1"); B2=$(cpu_ticks "$P2")
      N="$(f "${ROUND_LAT[$p,$r]}" 5)"
      ROUND_CPU1[$p,$r]="$(awk -v t=$((B1 - A1)) -v k="$TCK" -v n="$N" 'BEGIN {if (n > 0) printf "%.3f", t / k / (n / 1000); else print "-"}')"
      ROUND_CPU2[$p,$r]="$(awk -v t=$((B2 - A2)) -v k="$TCK" -v n="$N" 'BEGIN {if (n > 0) printf "%.3f", t / k / (n / 1000); else print "-"}')"
    fi
  done
done
median() { printf '%s\n' "$@" | awk '$1 != "-"' | sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
P99_ROUNDS=""
for p in "${PATHS[@]}"; do
  cols=()
  for c in 1 2 3 6; do
    vals=(); for r in $(seq 1 "$ROUNDS"); do vals+=("$(f "${ROUND_LAT[$p,$r]}" "$c")"); done
    cols[$c]="$(median "${vals[@]}")"
  done
  errs=0; done_n=0; p99s=()
  for r in $(seq 1 "$ROUNDS"); do
    e="$(f "${ROUND_LAT[$p,$r]}" 4)"; d="$(f "${ROUND_LAT[$p,$r]}" 5)"
    [[ "$e" =~ ^[0-9]+$ ]] && errs=$((errs + e)); [[ "$d" =~ ^[0-9]+$ ]] && done_n=$((done_n + d))
    p99s+=("$(f "${ROUND_LAT[$p,$r]}" 3)")
  done
  [[ "${cols[6]}" == - ]] || cols[6]="$(printf '%.0f' "${cols[6]}")"
  LAT[$p]="${cols[1]} ${cols[2]} ${cols[3]} $errs $done_n ${cols[6]}"
  P99_ROUNDS+="${P99_ROUNDS:+; }$p $(IFS=/; echo "${p99s[*]}")"
  if [[ "$p" != direct ]]; then
    v1=(); v2=(); for r in $(seq 1 "$ROUNDS"); do v1+=("${ROUND_CPU1[$p,$r]}"); v2+=("${ROUND_CPU2[$p,$r]}"); done
    CPU1[$p]="$(median "${v1[@]}")"; CPU2[$p]="$(median "${v2[@]}")"
  fi
done
# Saturation last: how much headroom each path has on this shared machine ("1000 / max": near 100 % an open
# loop at the fixed rate would measure queueing, not the proxies' added latency).
for p in "${PATHS[@]}"; do
  echo "measuring $p at saturation for ${SECS}s (wrk)..." >&2
  MAX[$p]="$(saturate "${HOST[$p]}" "${PORT[$p]}" "$SECS")"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

EVENT_LOOPS_NOTE="$(grep -o 'EVENT_LOOPS = [0-9]*' sidecar/src/main/java/io/isthmus/sidecar/Sidecar.java | awk '{print $3}') event loops"
# Where a proxy's memory goes, from NMT (committed MB per category) and /proc (RSS): only with --nmt.
nmt_rows() { # pid -> "heap metaspace cds code symbols threads compiler other nmt total rss"
  jcmd "$1" VM.native_memory summary 2>/dev/null | awk -v rss="$(rss_mb "$1")" '
    /^Total:/ { match($0, /committed=[0-9]+KB/); t = substr($0, RSTART + 10, RLENGTH - 12) / 1024 }
    /^-/ { name = $0; sub(/^- */, "", name); sub(/ *\(reserved.*/, "", name)
           match($0, /committed=[0-9]+KB/); c[name] = substr($0, RSTART + 10, RLENGTH - 12) / 1024 }
    END { printf "%.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %s", c["Java Heap"], c["Metaspace"] + c["Class"],
          c["Shared class space"], c["Code"], c["Symbol"], c["Thread"], c["Compiler"] + c["Arena Chunk"],
          c["Other"], c["Native Memory Tracking"], t, rss }'
}
nmt_section() {
  (( ${#NMT[@]} )) || return 0
  local shipped
  shipped="$(nmt_rows "$CLI_PID")"
  echo
  echo "Where the client-side sidecar's memory goes after the run (NMT committed MB; RSS includes NMT's own overhead):"
  echo
  echo "| options | heap | metaspace + class | CDS archive | code cache | symbols | thread stacks | compiler | other (direct buffers...) | NMT | NMT total | RSS MB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  echo "| shipped, 2 event loops | $(echo "$shipped" | tr ' ' '|' | sed 's/|/ | /g') |"
  echo "| shipped, 1 event loop | $(nmt_rows "$OCLI_PID" | tr ' ' '|' | sed 's/|/ | /g') |"
}
util() { awk -v m="$(f "$1" 1)" -v r="$RATE" 'BEGIN {if (m > 0) printf "%.0f %%", 100 * r / m; else print "-"}'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.3f", a - b}'; }
CPU="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
JAVA="$(java -version 2>&1 | head -1)"
ALT_ROW=""; ALT_RATE=""
if [[ -n "$ALT_JAVA" ]]; then
  ALT_NAME="$("$ALT_JAVA/bin/java" -version 2>&1 | head -1)"
  ALT_ROW="| Isthmus x2, 2 event loops each, on ${ALT_NAME} | $(f "${LAT[alt]}" 1) | $(f "${LAT[alt]}" 2) | $(f "${LAT[alt]}" 3) | $(add "$(f "${LAT[alt]}" 1)" "$(f "${LAT[direct]}" 1)") / $(add "$(f "${LAT[alt]}" 2)" "$(f "${LAT[direct]}" 2)") / $(add "$(f "${LAT[alt]}" 3)" "$(f "${LAT[direct]}" 3)") | $(f "${LAT[alt]}" 4) | $(f "${MAX[alt]}" 1) | $(util "${MAX[alt]}") | ${CPU1[alt]} / ${CPU2[alt]} | $(rss_mb "$ACLI_PID") / $(rss_mb "$ASRV_PID") |"
  ALT_RATE=", on ${ALT_NAME} $(f "${LAT[alt]}" 6)"
fi
# Computed here: arithmetic and nested substitutions inside the here-document below trip bash's parser.
TOTAL_REQUESTS=$((RATE * SECS))
CLIENT_PERIOD_MS=$((1000 / PER_CLIENT))
H2LOAD_VERSION="$(h2load --version 2>&1 | head -1 | cut -d' ' -f2)"
WRK_VERSION="$( (wrk -v 2>&1 || true) | head -1 | cut -d' ' -f1-2)"
SECTION="$(cat <<OUT
## sidecar

\`bench/sidecar.sh\`: client -> proxy -> mTLS (P-256, TLS 1.3) -> proxy -> app (1 KiB responses, HTTP/1.1 keep-alive), four paths in
one run: no proxy, two HAProxy 2.6 (1 thread each) doing mTLS (peer chain verified against the root both ways; HAProxy cannot match URI SANs), two Isthmus sidecars
(separate JVMs, the client sidecar with 100 clusters configured; routes carry the mesh retry policy) twice, with the JVM options the proxy
ships with (\`${OPTS_FILE}\`: ${SHIPPED_OPTS[*]}): with the default of ${EVENT_LOOPS_NOTE}, and with 1 event loop
each (a bootstrap's \`PROXY_CONFIG.concurrency: 1\`), as each HAProxy runs 1 thread. Fixed rate: \`h2load --h1\` (${H2LOAD_VERSION}),
open loop, ${TOTAL_REQUESTS} requests at ${RATE}/s in total from ${RATE_CLIENTS} keep-alive connections of \`--rps ${PER_CLIENT}\` each, opened
${STAGGER_MS} ms apart so that their sends interleave (one request every ${STAGGER_MS} ms rather than bursts); latency percentiles
from its per-request log (start of a request to the end of its response), which agrees with the min/max/mean
h2load prints. A connection has one request in flight, so a response slower than ${CLIENT_PERIOD_MS} ms makes the next
request of that connection late, and it is timed from when it was sent, not when it was due. Each path is
first warmed ${WARMUP} s at the fixed rate, in pieces of ${SECS} s that each open new connections as a round does
(fresh JVMs need it for the JIT; warming at saturation, or on one set of connections, left C2 recompiling inside
the measurement, see \`bench/sidecar-tail.sh\`), then ${ROUNDS} rounds of ${SECS} s alternate over
the paths (each round starts one path later); latencies, achieved rate and CPU are medians of the rounds, errors
and requests their sums. CPU per 1,000 requests: the proxy's CPU time during a round over the requests h2load
completed in it. Max requests/s: \`wrk\` (${WRK_VERSION}), closed loop, 1 thread, ${CONNS} connections, ${SECS} s
per path after the rounds, so "${RATE} / max" shows how close the fixed rate is to saturation (near 100 % the open
loop measures queueing).

Date: $(date -u +%Y-%m-%dT%H:%MZ). Machine: ${CPU}, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; ${JAVA}; $("$HAPROXY" -v | head -1 | cut -d' ' -f1-3).
Load average before/after: ${LOAD_BEFORE} / ${LOAD_AFTER} (other work shares these cores).

| path | p50 ms | p90 ms | p99 ms | added p50 / p90 / p99 ms | errors at ${RATE}/s | max req/s | ${RATE} / max | CPU s per 1,000 req (client-side / server-side proxy) | RSS MB (client-side / server-side) |
|---|---:|---:|---:|---|---:|---:|---:|---|---|
| direct | $(f "${LAT[direct]}" 1) | $(f "${LAT[direct]}" 2) | $(f "${LAT[direct]}" 3) | — | $(f "${LAT[direct]}" 4) | $(f "${MAX[direct]}" 1) | $(util "${MAX[direct]}") | — | — |
| HAProxy x2 | $(f "${LAT[haproxy]}" 1) | $(f "${LAT[haproxy]}" 2) | $(f "${LAT[haproxy]}" 3) | $(add "$(f "${LAT[haproxy]}" 1)" "$(f "${LAT[direct]}" 1)") / $(add "$(f "${LAT[haproxy]}" 2)" "$(f "${LAT[direct]}" 2)") / $(add "$(f "${LAT[haproxy]}" 3)" "$(f "${LAT[direct]}" 3)") | $(f "${LAT[haproxy]}" 4) | $(f "${MAX[haproxy]}" 1) | $(util "${MAX[haproxy]}") | ${CPU1[haproxy]} / ${CPU2[haproxy]} | $(rss_mb "$HAC_PID") / $(rss_mb "$HAS_PID") |
| Isthmus x2, 2 event loops each (default) | $(f "${LAT[isthmus]}" 1) | $(f "${LAT[isthmus]}" 2) | $(f "${LAT[isthmus]}" 3) | $(add "$(f "${LAT[isthmus]}" 1)" "$(f "${LAT[direct]}" 1)") / $(add "$(f "${LAT[isthmus]}" 2)" "$(f "${LAT[direct]}" 2)") / $(add "$(f "${LAT[isthmus]}" 3)" "$(f "${LAT[direct]}" 3)") | $(f "${LAT[isthmus]}" 4) | $(f "${MAX[isthmus]}" 1) | $(util "${MAX[isthmus]}") | ${CPU1[isthmus]} / ${CPU2[isthmus]} | $(rss_mb "$CLI_PID") / $(rss_mb "$SRV_PID") |
| Isthmus x2, 1 event loop each | $(f "${LAT[one]}" 1) | $(f "${LAT[one]}" 2) | $(f "${LAT[one]}" 3) | $(add "$(f "${LAT[one]}" 1)" "$(f "${LAT[direct]}" 1)") / $(add "$(f "${LAT[one]}" 2)" "$(f "${LAT[direct]}" 2)") / $(add "$(f "${LAT[one]}" 3)" "$(f "${LAT[direct]}" 3)") | $(f "${LAT[one]}" 4) | $(f "${MAX[one]}" 1) | $(util "${MAX[one]}") | ${CPU1[one]} / ${CPU2[one]} | $(rss_mb "$OCLI_PID") / $(rss_mb "$OSRV_PID") |
${ALT_ROW}

p99 ms of each round, in round order: ${P99_ROUNDS}.

Rate h2load reached (req/s): direct $(f "${LAT[direct]}" 6), HAProxy $(f "${LAT[haproxy]}" 6), Isthmus 2 event loops $(f "${LAT[isthmus]}" 6), 1 event loop $(f "${LAT[one]}" 6)${ALT_RATE}.

Targets (issue 3): added p99 at 1,000/s within +0.30 ms for two sidecars and no worse than HAProxy; <= 0.2 CPU s per
1,000 requests per proxy (0.2 vCPU at 1,000/s); RSS <= 60 MB per sidecar with 100 clusters.
$(nmt_section)
OUT
)"
echo "$SECTION"
(( WRITE )) || exit 0
RESULTS="$ROOT/bench/RESULTS.md"
python3 - "$RESULTS" "$SECTION" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2].rstrip() + "\n"
text = open(path).read() if __import__('os').path.exists(path) else "# Benchmark results\n"
pattern = re.compile(r"^## sidecar\n.*?(?=^## |\Z)", re.S | re.M)
text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
