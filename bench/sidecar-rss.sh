#!/usr/bin/env bash
# Sidecar memory: the client -> sidecar -> mTLS -> sidecar -> app pair of bench/sidecar.sh (client sidecar with
# 100 clusters configured, the same BenchProxy/BenchLoad classes and certificates), one pair per variant of the
# JVM options/environment, all pairs up at once; each pair gets a fixed-rate warm-up and then a fixed-rate run
# with h2load (open loop, HTTP/1.1 keep-alive, 1 KiB responses), rounds alternating over the variants. After the
# last round it reads each proxy's memory: VmRSS / RssAnon / RssFile from /proc/<pid>/status, heap and
# metaspace committed (jcmd GC.heap_info), code cache used (jcmd Compiler.codecache), threads, loaded classes
# (jcmd VM.classloader_stats), and the CPU seconds per 1,000 requests of each proxy during the
# measured runs (noisy on a shared machine: compare variants of one run with each other, as ratios).
# With --nmt the proxies run with -XX:NativeMemoryTracking=summary and a second table gives NMT's committed MB
# per category (NMT itself costs a few MB, so RSS of an --nmt run is not the figure to quote).
#
# Usage: bench/sidecar-rss.sh [--seconds S] [--warmup S] [--rate R] [--rounds N] [--nmt] [--full] [--only a,b,...]
#                             [--port-offset N]
#                             [--variant 'name|ENV=V ...|-XX:... ...']...
#   defaults: 20 s measured per round, 10 s warm-up, 1,000 req/s, 1 round, the variants listed in VARIANTS below.
#   A variant is "name|environment|JVM options added after the shipped jvm.options" (later options win);
#   the options "-shipped" at the start mean: not the shipped file, only what follows; "@JSA@" in them: an AppCDS
#   archive made first by a pair run with -XX:ArchiveClassesAtExit under a short load.
#   An environment JAVA_HOME=DIR runs that variant's proxies on DIR/bin/java.
#   --full: the proxies run as `isthmus proxy` (ProxyCommand: bootstrap JSON read at start, --cert-dir, admin,
#   health and Prometheus servers, an xDS client retrying a port where nothing answers) with BenchBootstrap's
#   bootstrap holding the same resources as static_resources, instead of BenchProxy's bare data plane.
# Prints markdown tables on stdout. Needs a JDK 17+, Maven, h2load. Not a test.
set -euo pipefail

SECS=20
WARMUP=10
RATE=1000
ROUNDS=1
NMT=()
ONLY=""
FULL=0
OFF=0
EXTRA_VARIANTS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --nmt) NMT=(-XX:NativeMemoryTracking=summary); shift ;;
    --full) FULL=1; shift ;;
    --port-offset) OFF="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --variant) EXTRA_VARIANTS+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
(( RATE >= 10 && RATE % 10 == 0 )) || { echo "--rate must be a multiple of 10" >&2; exit 2; }

# name | environment | options after the shipped ones
# "previous": the heap the proxies shipped with before the 24 MB young generation (-Xmn8m, bench/RESULTS.md "sidecar tail").
VARIANTS=(
  "shipped||"
  "previous||-Xms16m -Xmx64m -Xmn8m"
)
(( ${#EXTRA_VARIANTS[@]} )) && VARIANTS+=("${EXTRA_VARIANTS[@]}")
if [[ -n "$ONLY" ]]; then
  kept=()
  for v in "${VARIANTS[@]}"; do [[ ",$ONLY," == *",${v%%|*},"* ]] && kept+=("$v"); done
  VARIANTS=("${kept[@]}")
fi

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
command -v h2load >/dev/null || (timeout 300 apt-get install -y nghttp2-client >/dev/null 2>&1) || true
command -v h2load >/dev/null || { echo "h2load is required (apt-get install nghttp2-client)" >&2; exit 1; }
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

echo "building sidecar (main and test classes)..." >&2
mvn_q() { mvn -B -q -o "$@" >&2 2>/dev/null || mvn -B -q "$@" >&2; }
mvn_q -pl sidecar dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
mvn_q -pl sidecar dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$WORK/cp-runtime.txt"
for _ in 1 2 3; do
  mvn_q -pl sidecar test-compile
  rm -rf "$WORK/classes" "$WORK/test-classes"
  cp -r sidecar/target/classes "$WORK/classes" 2>/dev/null; cp -r sidecar/target/test-classes "$WORK/test-classes" 2>/dev/null
  [[ -f "$WORK/test-classes/io/isthmus/sidecar/bench/BenchLoad.class" && -f "$WORK/classes/io/isthmus/sidecar/Sidecar.class" ]] && break
done
# As jars, as the proxy ships (and as AppCDS needs: no class directories on an archived class path).
jar cf "$WORK/sidecar.jar" -C "$WORK/classes" . && jar cf "$WORK/sidecar-tests.jar" -C "$WORK/test-classes" .
# The dependencies too (a reinstall of mesh-api or trust-bundle into ~/.m2 during the run cannot pull them away).
mkdir -p "$WORK/lib"
copy_jars() { # classpath file -> the copies' classpath (":a.jar:b.jar")
  local jar out=""
  while IFS= read -r -d: jar || [[ -n "$jar" ]]; do
    [[ -z "$jar" ]] && continue
    [[ -f "$WORK/lib/$(basename "$jar")" ]] || cp "$jar" "$WORK/lib/$(basename "$jar")"
    out="$out:$WORK/lib/$(basename "$jar")"
  done < <(tr -d '\n' <"$1")
  echo "$out"
}
CP="$WORK/sidecar-tests.jar:$WORK/sidecar.jar$(copy_jars "$WORK/cp.txt")"
# The proxies get the module's runtime classpath and the SLF4J binding the isthmus command line ships (no test-only
# jars: every jar a JVM opens keeps its central directory on the heap), plus the benchmark's classes.
{ tr -d '\n' <"$WORK/cp-runtime.txt"; printf ':'; tr ':' '\n' <"$WORK/cp.txt" | grep '/slf4j-simple-' | tr -d '\n'; } >"$WORK/cp-proxy.txt"
PROXY_CP="$WORK/sidecar-tests.jar:$WORK/sidecar.jar$(copy_jars "$WORK/cp-proxy.txt")"
OPTS_FILE=sidecar/src/main/resources/io/isthmus/sidecar/jvm.options
mapfile -t SHIPPED_OPTS < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$OPTS_FILE")
PROXY_COMMON=("${NMT[@]}" -cp "$PROXY_CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn --add-opens java.base/java.nio=ALL-UNNAMED)
JAVA_LOAD=(java -Xmx256m -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)
AUTH="reviews.default.svc.cluster.local:9080"

start() { # name, env..., --, command...
  local name="$1"; shift
  local envs=()
  while [[ "$1" != "--" ]]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 600); do grep -q '^ready' "$WORK/$name.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '^ready' "$WORK/$name.log" || { echo "$name did not start:"; cat "$WORK/$name.log"; exit 1; } >&2
}
pid_of() { awk '/^ready/ {print $3; exit}' "$WORK/$1.log"; }
# A proxy of a variant: start_proxy NAME ROLE PORT TARGET INDEX ENV... -- JVM-OPTIONS... (ROLE client: PORT is its
# outbound port on 127.0.0.2, TARGET the server's inbound port; server: PORT its inbound port on 127.0.0.3, TARGET
# the app). Sets PROXY_PID.
start_proxy() {
  local name="$1" role="$2" port="$3" target="$4" idx="$5"; shift 5
  local envs=()
  while [[ "$1" != "--" ]]; do envs+=("$1"); shift; done
  shift
  local extra=(); [[ "$role" == client ]] && extra=(99)
  local java=java e
  for e in "${envs[@]}"; do [[ "$e" == JAVA_HOME=* ]] && java="${e#JAVA_HOME=}/bin/java"; done
  if (( ! FULL )); then
    start "$name" "${envs[@]}" -- "$java" "$@" "${PROXY_COMMON[@]}" io.isthmus.sidecar.bench.BenchProxy "$role" "$C/$role" "$port" "$target" "${extra[@]}"
    PROXY_PID="$(pid_of "$name")"
    return
  fi
  local base=$((19000 + OFF + idx * 10))
  [[ "$role" == server ]] && base=$((base + 5))
  "${JAVA_LOAD[@]}" io.isthmus.sidecar.bench.BenchBootstrap "$role" "$WORK/$name.json" "$port" "$target" "${extra[@]}" $((18999 + OFF))
  env "${envs[@]}" "$java" "$@" "${PROXY_COMMON[@]}" io.isthmus.sidecar.cli.ProxyCommand --bootstrap "$WORK/$name.json" \
    --cert-dir "$C/$role" --admin-port "$base" --health-port $((base + 1)) --metrics-port $((base + 2)) \
    --health-address 127.0.0.1 >"$WORK/$name.log" 2>&1 &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  local host=127.0.0.2; [[ "$role" == server ]] && host=127.0.0.3
  for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && break; sleep 0.1; done
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null || { echo "$name did not start:"; cat "$WORK/$name.log"; exit 1; } >&2
}

"${JAVA_LOAD[@]}" io.isthmus.sidecar.bench.BenchCerts "$WORK/certs" >/dev/null
C="$WORK/certs"
APP=$((18180 + OFF))
start app -- "${JAVA_LOAD[@]}" io.isthmus.sidecar.bench.BenchLoad app "$APP"

# A variant whose options name @JSA@ runs with an AppCDS archive of the proxy's classes, made here first by a
# client/server pair run with -XX:ArchiveClassesAtExit under a short load and stopped (SIGTERM).
if [[ "${VARIANTS[*]}" == *@JSA@* ]]; then
  echo "making the AppCDS archive..." >&2
  start_proxy jsa-server server $((18399 + OFF)) "$APP" 9 -- "${SHIPPED_OPTS[@]}" -XX:ArchiveClassesAtExit="$WORK/server.jsa"; JS=$PROXY_PID
  start_proxy jsa-client client $((18299 + OFF)) $((18399 + OFF)) 9 -- "${SHIPPED_OPTS[@]}" -XX:ArchiveClassesAtExit="$WORK/app.jsa"; JC=$PROXY_PID
  h2load --h1 -t 1 -c 10 -n 5000 -H ":authority: $AUTH" "http://127.0.0.2:$((18299 + OFF))/bench" >/dev/null 2>&1 || true
  kill -TERM "$JC" "$JS"
  for _ in $(seq 1 600); do [[ -s "$WORK/app.jsa" ]] && ! kill -0 "$JC" 2>/dev/null && break; sleep 0.2; done
  [[ -s "$WORK/app.jsa" ]] || { echo "no AppCDS archive was written:" >&2; tail -20 "$WORK/jsa-client.log" >&2; exit 1; }
fi

declare -A OUT_PORT CLI SRV ENVS OPTS CPU1 CPU2 DONE P50 P99
i=0
for v in "${VARIANTS[@]}"; do
  name="${v%%|*}"; rest="${v#*|}"; envs="${rest%%|*}"; extra="${rest#*|}"
  read -r -a env_arr <<<"$envs"
  read -r -a extra_arr <<<"${extra//@JSA@/$WORK/app.jsa}"
  if [[ "${extra_arr[0]:-}" == "-shipped" ]]; then opts=("${extra_arr[@]:1}"); else opts=("${SHIPPED_OPTS[@]}" "${extra_arr[@]}"); fi
  ENVS[$name]="$envs"; OPTS[$name]="${opts[*]}"
  out=$((18200 + OFF + i)); in=$((18300 + OFF + i)); i=$((i + 1))
  OUT_PORT[$name]=$out
  echo "starting $name: env [${envs}] options [${opts[*]}]" >&2
  start_proxy "$name-server" server "$in" "$APP" "$((i - 1))" "${env_arr[@]}" -- "${opts[@]}"; SRV[$name]=$PROXY_PID
  start_proxy "$name-client" client "$out" "$in" "$((i - 1))" "${env_arr[@]}" -- "${opts[@]}"; CLI[$name]=$PROXY_PID
  CPU1[$name]=0; CPU2[$name]=0; DONE[$name]=0
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TCK="$(getconf CLK_TCK)"
# h2load open loop at RATE req/s (RATE/10 keep-alive clients of 10 req/s, opened 1 ms apart): "done p50 p99" (ms).
fixed_rate() { # port seconds log
  local out
  out="$(timeout $(($2 * 10 + 60)) h2load --h1 -t 1 -c $((RATE / 10)) --rps 10 -r 1 --rate-period 1ms \
    -n $((RATE * $2)) -H ":authority: $AUTH" --log-file="$3" "http://127.0.0.2:$1/bench" 2>&1)" || true
  [[ -s "$3" ]] || { echo "0 - -"; return; }
  sort -t$'\t' -k3,3n "$3" | awk -F'\t' '
    function rank(q,   r) { r = int(q * NR); if (r < q * NR) r++; return r < 1 ? 1 : r }
    {v[NR] = $3} $2 ~ /^2/ {ok++}
    END {printf "%d %.3f %.3f\n", ok, v[rank(0.50)] / 1000, v[rank(0.99)] / 1000}'
}

for v in "${VARIANTS[@]}"; do
  name="${v%%|*}"
  echo "warming up $name (${WARMUP} s at ${RATE}/s)..." >&2
  fixed_rate "${OUT_PORT[$name]}" "$WARMUP" "$WORK/warm-$name.tsv" >/dev/null
done
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  for v in "${VARIANTS[@]}"; do
    name="${v%%|*}"
    echo "round $r: $name (${SECS} s at ${RATE}/s)..." >&2
    a1=$(cpu_ticks "${CLI[$name]}"); a2=$(cpu_ticks "${SRV[$name]}")
    res="$(fixed_rate "${OUT_PORT[$name]}" "$SECS" "$WORK/run-$name-$r.tsv")"
    b1=$(cpu_ticks "${CLI[$name]}"); b2=$(cpu_ticks "${SRV[$name]}")
    CPU1[$name]=$((CPU1[$name] + b1 - a1)); CPU2[$name]=$((CPU2[$name] + b2 - a2))
    DONE[$name]=$((DONE[$name] + ${res%% *}))
    P50[$name]="${P50[$name]:-}$(echo "$res" | cut -d' ' -f2) "; P99[$name]="${P99[$name]:-}$(echo "$res" | cut -d' ' -f3) "
    echo "  $res (done p50 p99)" >&2
  done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# The jcmd of the JDK a process runs on.
jcmd() { local exe; exe="$(readlink "/proc/$1/exe")"; "$(dirname "$exe")/jcmd" "$@"; }
kb() { awk -v k="$2" '$1 == k":" {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
# heap committed (young + old), metaspace committed (incl. class space) in MB, from GC.heap_info (JDK 17 names the
# generations "def new generation" / "tenured generation" and ends with the metaspace; JDK 25 names them "DefNew" /
# "Tenured" and leaves the metaspace to VM.metaspace's first line).
heap_meta() {
  { jcmd "$1" GC.heap_info; jcmd "$1" VM.metaspace; } 2>/dev/null | awk '
    function kb(s) { sub(/K,?$/, "", s); return s }
    /(generation|DefNew|Tenured) +total/ { for (i = 1; i <= NF; i++) if ($i == "total") h += kb($(i + 1)) }
    /^ *Metaspace +used/ && m == "" { for (i = 1; i <= NF; i++) if ($i == "committed") m = kb($(i + 1)) }
    END { printf "%.1f %.1f", h / 1024, m / 1024 }'
}
code_used() {
  jcmd "$1" Compiler.codecache 2>/dev/null | awk '
    /^CodeHeap|^CodeCache/ { for (i = 1; i <= NF; i++) if ($i ~ /^used=/) { s = $i; sub(/used=/, "", s); sub(/Kb/, "", s); u += s } }
    END { printf "%.1f", u / 1024 }'
}
classes() { jcmd "$1" VM.classloader_stats 2>/dev/null | awk '/^Total =/ {print $4}'; }
cpu_per_k() { awk -v t="$1" -v k="$TCK" -v n="$2" 'BEGIN {if (n > 0) printf "%.3f", t / k / (n / 1000); else print "-"}'; }

CPU_MODEL="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "Date: $(date -u +%Y-%m-%dT%H:%MZ). Machine: ${CPU_MODEL}, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(java -version 2>&1 | head -1)."
(( FULL )) && echo "Proxies run as \`isthmus proxy\` (ProxyCommand) with a static bootstrap, --cert-dir and an xDS client retrying." || echo "Proxies run as BenchProxy (the data plane of bench/sidecar.sh)."
echo "Load ${RATE}/s, ${WARMUP} s warm-up + ${ROUNDS} x ${SECS} s measured per variant; load average before/after: ${LOAD_BEFORE} / ${LOAD_AFTER}."
echo
echo "| variant | RSS MB (client / server) | RssAnon | RssFile | heap committed | metaspace committed | code cache used | threads | classes | CPU s / 1,000 req (client / server) | p50 / p99 ms per round |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
for v in "${VARIANTS[@]}"; do
  name="${v%%|*}"; c="${CLI[$name]}"; s="${SRV[$name]}"
  hm="$(heap_meta "$c")"
  echo "| $name | $(kb "$c" VmRSS) / $(kb "$s" VmRSS) | $(kb "$c" RssAnon) | $(kb "$c" RssFile) | ${hm%% *} | ${hm##* } | $(code_used "$c") | $(awk '/^Threads:/ {print $2}' "/proc/$c/status") | $(classes "$c") | $(cpu_per_k "${CPU1[$name]}" "${DONE[$name]}") / $(cpu_per_k "${CPU2[$name]}" "${DONE[$name]}") | ${P50[$name]% } / ${P99[$name]% } |"
done
echo
echo "Columns after RSS are the client-side sidecar's (100 clusters)."
for v in "${VARIANTS[@]}"; do
  name="${v%%|*}"; echo "- $name: env [${ENVS[$name]}] options [${OPTS[$name]}]"
done
if (( ${#NMT[@]} )); then
  echo
  echo "NMT committed MB, client-side sidecar:"
  echo
  echo "| variant | total | heap | class (metaspace) | thread | code | GC | compiler | internal | other | symbol | NMT | shared class space | arena chunk |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for v in "${VARIANTS[@]}"; do
    name="${v%%|*}"
    jcmd "${CLI[$name]}" VM.native_memory summary 2>/dev/null | awk -v n="$name" '
      function com(s,   t) { match(s, /committed=[0-9]+KB/); t = substr(s, RSTART + 10, RLENGTH - 12); return t / 1024 }
      /^Total:/ { tot = com($0) }
      /^-/ { name = $0; sub(/^- */, "", name); sub(/ *\(reserved.*/, "", name); c[name] = com($0) }
      END { printf "| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", n, tot,
            c["Java Heap"], c["Class"] + c["Metaspace"], c["Thread"], c["Code"], c["GC"], c["Compiler"], c["Internal"],
            c["Other"], c["Symbol"], c["Native Memory Tracking"], c["Shared class space"], c["Arena Chunk"] }'
  done
fi
