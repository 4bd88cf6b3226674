#!/usr/bin/env bash
# Heap allocated per request by the sidecar pair of bench/sidecar.sh (client -> sidecar -> mTLS -> sidecar -> app,
# same BenchCerts certificates, BenchLoad app, BenchProxy proxies with the shipped jvm.options, the client-side
# sidecar with 100 clusters configured), one pair per build so that builds compare in one run: the build in the
# tree and any frozen copies given with --classpath. Load: h2load --h1 at a fixed rate (100 keep-alive connections
# of --rps 10 at 1,000 req/s, 1 KiB responses) as bench/sidecar.sh. After a warm-up at the rate, rounds of a fixed
# number of requests alternate over the builds; around each round a probe reads every thread's allocated bytes
# (com.sun.management.ThreadMXBean#getThreadAllocatedBytes, exact, through the JVM's local JMX agent started with the
# attach API) and the count of young collections (-Xlog:gc of the proxies). Bytes per request = the bytes allocated
# during the round by the proxy's threads (the probe's own JMX/RMI and attach threads excluded) over the requests
# h2load completed: that includes the per-second background work (timers, metrics) spread over the requests.
# With --profile, afterwards, each proxy records JFR (`profile` settings: jdk.ObjectAllocationSample) through one
# more fixed-rate run and the report lists the top allocation sites (sampled weight) of the event loops.
# Prints a markdown section and replaces the "## sidecar allocation" section of bench/RESULTS.md (unless --print-only).
#
# Usage: bench/sidecar-alloc.sh [--classpath NAME=CP]... [--no-tree] [--requests N] [--rounds N] [--warmup S]
#                               [--rate R] [--profile] [--top N] [--keep DIR] [--notes FILE] [--print-only]
#   --classpath NAME=CP: one more build to measure, named NAME; CP is a classpath (the sidecar's main and test
#     classes first, then its dependencies) or a file holding one (a frozen copy, so that rebuilds in the tree
#     cannot change the subject). The tree's build is named "tree" (built into a private copy; --no-tree: skip it).
#   --notes FILE: markdown appended to the section (what changed between the builds, what remains).
#   defaults: 20,000 requests per round, 3 rounds, a 30 s warm-up per pair at the rate, 1,000 req/s, top 12 sites.
# Needs: a JDK 17+ (javac, jfr), Maven, python3, h2load. Not a test.
set -euo pipefail

ARGS="$*"
NOTES=""; REQUESTS=20000; ROUNDS=3; WARMUP=30; RATE=1000; PROFILE=0; TOP=12; KEEP=""; WRITE=1; TREE=1
NAMES=(); declare -A GIVEN
while [[ $# -gt 0 ]]; do
  case "$1" in
    --classpath) [[ "$2" == *=* ]] || { echo "--classpath NAME=CP" >&2; exit 2; }
                 NAMES+=("${2%%=*}"); GIVEN[${2%%=*}]="${2#*=}"; shift 2 ;;
    --no-tree) TREE=0; shift ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --profile) PROFILE=1; shift ;;
    --top) TOP="$2"; shift 2 ;;
    --keep) KEEP="$2"; shift 2 ;;
    --print-only) WRITE=0; shift ;;
    --notes) NOTES="$(readlink -f "$2")"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
(( RATE >= 10 && RATE % 10 == 0 )) || { echo "--rate must be a multiple of 10" >&2; exit 2; }
(( TREE )) && NAMES=(tree "${NAMES[@]}")
(( ${#NAMES[@]} )) || { echo "nothing to measure (--no-tree and no --classpath)" >&2; exit 2; }
for tool in h2load python3 javac jfr; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
if [[ -n "$KEEP" ]]; then mkdir -p "$KEEP"; WORK="$(cd "$KEEP" && pwd)"; else WORK="$(mktemp -d)"; fi
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; [[ -n "$KEEP" ]] || rm -rf "$WORK"; }
trap cleanup EXIT

declare -A CP
if (( TREE )); then
  echo "building sidecar (main and test classes) into a private copy..." >&2
  mvn_q() { mvn -B -q -o "$@" >&2 2>/dev/null || mvn -B -q "$@" >&2; }
  mvn_q -pl sidecar dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
  mvn_q -pl sidecar test-compile
  rm -rf "$WORK/tree"; mkdir -p "$WORK/tree/jars"
  cp -r sidecar/target/classes "$WORK/tree/classes"; cp -r sidecar/target/test-classes "$WORK/tree/test-classes"
  # The project's own jars (mesh-api, trust-bundle) copied too: ~/.m2 is shared with other builds.
  deps=""
  for j in $(tr ':' '\n' < "$WORK/cp.txt"); do
    if [[ "$j" == */io/isthmus/* ]]; then cp "$j" "$WORK/tree/jars/"; j="$WORK/tree/jars/$(basename "$j")"; fi
    deps+=":$j"
  done
  CP[tree]="$WORK/tree/test-classes:$WORK/tree/classes$deps"
  echo "tree: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- sidecar mesh-api || echo ' + uncommitted changes')" >> "$WORK/builds.md"
fi
for n in "${NAMES[@]}"; do
  [[ $n == tree ]] && continue
  v="${GIVEN[$n]}"; from=""
  if [[ -f "$v" ]]; then
    # a frozen copy may say which commit it was built from in a file "commit" beside its classpath file
    [[ -f "$(dirname "$v")/commit" ]] && from=", built from commit $(head -c 7 "$(dirname "$v")/commit")"
    v="$(tr -d '\n' < "$v")"
  fi
  CP[$n]="$v"
  echo "$n: the classpath given ($(tr ':' '\n' <<<"$v" | head -1)$from)" >> "$WORK/builds.md"
done
FIRST_CP="${CP[${NAMES[0]}]}"

# The probe: every thread's allocated bytes of the given JVMs, one line per thread "pid tid bytes name".
mkdir -p "$WORK/probe"
cat > "$WORK/probe/AllocProbe.java" <<'JAVA'
import com.sun.tools.attach.VirtualMachine;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

public final class AllocProbe {
    public static void main(String[] args) throws Exception {
        for (String pid : args) {
            VirtualMachine vm = VirtualMachine.attach(pid);
            String address;
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
            try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
                MBeanServerConnection s = c.getMBeanServerConnection();
                com.sun.management.ThreadMXBean t = ManagementFactory.newPlatformMXBeanProxy(s,
                        ManagementFactory.THREAD_MXBEAN_NAME, com.sun.management.ThreadMXBean.class);
                long[] ids = t.getAllThreadIds();
                long[] bytes = t.getThreadAllocatedBytes(ids);
                ThreadInfo[] infos = t.getThreadInfo(ids);
                for (int i = 0; i < ids.length; i++) {
                    if (infos[i] != null && bytes[i] >= 0) {
                        System.out.println(pid + " " + ids[i] + " " + bytes[i] + " " + infos[i].getThreadName());
                    }
                }
            }
        }
    }
}
JAVA
javac -nowarn -d "$WORK/probe" "$WORK/probe/AllocProbe.java"
probe() { java -cp "$WORK/probe" AllocProbe "$@"; }

cat > "$WORK/alloc.py" <<'PY'
#!/usr/bin/env python3
"""Helpers of bench/sidecar-alloc.sh.

  diff BEFORE AFTER PID      bytes allocated between two probe snapshots by PID's threads, excluding the probe's
                             own (JMX/RMI, attach): prints "total event-loops"
  top JFR N                  the top N allocation sites of jdk.ObjectAllocationSample (event-loop threads), by
                             share of the samples: the allocating frame, and the nearest frame of the proxy's own code
"""
import collections, json, subprocess, sys

SKIP = ("RMI ", "JMX ", "Attach Listener")


def load(path, pid):
    out = {}
    for line in open(path):
        p, tid, b, name = line.rstrip("\n").split(" ", 3)
        if p == pid and not name.startswith(SKIP):
            out[tid] = (int(b), name)
    return out


def diff(before, after, pid):
    b, a = load(before, pid), load(after, pid)
    total = loops = 0
    for tid, (v, name) in a.items():
        d = v - b.get(tid, (0, name))[0]
        total += d
        if name.startswith("vert.x-eventloop"):
            loops += d
    print(total, loops)


def cls_name(f):
    return f["method"]["type"]["name"].replace("/", ".")


def frame(f):
    return f'{cls_name(f)}.{f["method"]["name"]}:{f.get("lineNumber", "?")}'


def top(path, n):
    j = json.loads(subprocess.check_output(["jfr", "print", "--json", "--stack-depth", "64", "--events",
                                            "jdk.ObjectAllocationSample", path]))
    site, own, cls = collections.Counter(), collections.Counter(), collections.Counter()
    total = 0
    for e in j["recording"]["events"]:
        v = e["values"]
        t = (v.get("eventThread") or {}).get("javaName") or ""
        if not t.startswith("vert.x-eventloop"):
            continue
        w = 1  # a sample per TLAB refill or outside-TLAB allocation: counts follow the bytes (weights do not: a
        total += w  # thread's first sample carries everything it allocated before the recording)
        frames = (v.get("stackTrace") or {}).get("frames") or []
        c = v["objectClass"]["name"].replace("/", ".")
        cls[c] += w
        if frames:
            site[f"{c} at {frame(frames[0])}"] += w
        mine = next((f for f in frames if cls_name(f).startswith("io.isthmus.") and "$$Lambda" not in cls_name(f)), None)
        own[(frame(mine) if mine else "(no frame of io.isthmus)")] += w
    if not total:
        print("(no allocation samples on event loops)")
        return
    pct = lambda w: f"{100 * w / total:.1f}"
    print("| allocating frame (class allocated) | % of samples |")
    print("|---|---:|")
    for k, w in site.most_common(n):
        print(f"| `{k}` | {pct(w)} |")
    print()
    print("| nearest frame of the proxy's code | % |")
    print("|---|---:|")
    for k, w in own.most_common(n):
        print(f"| `{k}` | {pct(w)} |")
    print()
    print("Classes: " + ", ".join(f"{k.split('.')[-1]} {pct(w)} %" for k, w in cls.most_common(n)) + ".")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "diff":
        diff(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == "top":
        top(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
PY

start() { # name, command... (runs in this shell so that the cleanup knows the process)
  local name="$1"; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 600); do grep -q '^ready' "$WORK/$name.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '^ready' "$WORK/$name.log" || { echo "$name did not start:"; cat "$WORK/$name.log"; exit 1; } >&2
}
pid_of() { awk '/^ready/ {print $3; exit}' "$WORK/$1.log"; }
OPTS_FILE=sidecar/src/main/resources/io/isthmus/sidecar/jvm.options
mapfile -t SHIPPED < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$OPTS_FILE")
APP=18380; AUTH="reviews.default.svc.cluster.local:9080"
java -cp "$FIRST_CP" io.isthmus.sidecar.bench.BenchCerts "$WORK/certs"
C="$WORK/certs"
start app java -Xmx256m -cp "$FIRST_CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.isthmus.sidecar.bench.BenchLoad app "$APP"
declare -A OUT P1 P2
i=0
for n in "${NAMES[@]}"; do
  out=$((18381 + 2 * i)); in=$((18382 + 2 * i)); i=$((i + 1))
  for side in server client; do
    if [[ $side == server ]]; then args=(server "$C/server" "$in" "$APP"); else args=(client "$C/client" "$out" "$in" 99); fi
    start "$n-$side" java "${SHIPPED[@]}" -Xlog:gc:file="$WORK/$n-$side.gc.log" -cp "${CP[$n]}" \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn --add-opens java.base/java.nio=ALL-UNNAMED \
      io.isthmus.sidecar.bench.BenchProxy "${args[@]}"
  done
  P1[$n]="$(pid_of "$n-client")"; P2[$n]="$(pid_of "$n-server")"; OUT[$n]=$out
done

CLIENTS=$((RATE / 10))
STAGGER_MS=$(( RATE >= 1000 ? 1 : 1000 / RATE ))
at_rate() { # port requests -> prints the requests that succeeded
  local out
  out="$(timeout $(( $2 / RATE * 10 + 60 )) h2load --h1 -t 1 -c "$CLIENTS" --rps 10 -r 1 --rate-period "${STAGGER_MS}ms" \
    -n "$2" -H ":authority: $AUTH" "http://127.0.0.2:$1/bench" 2>&1)" || true
  awk '/^requests:/ {print $8; exit}' <<<"$out"
}
young() { grep -c 'Pause Young' "$1" 2>/dev/null || true; }

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${NAMES[@]}"; do
  echo "warming up $n (${WARMUP} s at ${RATE}/s)..." >&2
  at_rate "${OUT[$n]}" $((WARMUP * RATE)) >/dev/null
done
declare -A R
for r in $(seq 1 "$ROUNDS"); do
  k=${#NAMES[@]}
  for j in $(seq 0 $((k - 1))); do
    n="${NAMES[$(( (j + r - 1) % k ))]}"
    g1=$(young "$WORK/$n-client.gc.log"); g2=$(young "$WORK/$n-server.gc.log")
    probe "${P1[$n]}" "${P2[$n]}" > "$WORK/r$r-$n.before"
    t0=$(date +%s%N)
    ok="$(at_rate "${OUT[$n]}" "$REQUESTS")"
    t1=$(date +%s%N)
    probe "${P1[$n]}" "${P2[$n]}" > "$WORK/r$r-$n.after"
    h1=$(young "$WORK/$n-client.gc.log"); h2=$(young "$WORK/$n-server.gc.log")
    read -r ct cl <<<"$(python3 "$WORK/alloc.py" diff "$WORK/r$r-$n.before" "$WORK/r$r-$n.after" "${P1[$n]}")"
    read -r st sl <<<"$(python3 "$WORK/alloc.py" diff "$WORK/r$r-$n.before" "$WORK/r$r-$n.after" "${P2[$n]}")"
    # bytes/request client total, client loops, server total, server loops, young GCs per 10 s client, server, ok
    R[$n,$r]="$(awk -v ok="$ok" -v ct="$ct" -v cl="$cl" -v st="$st" -v sl="$sl" -v g1=$((h1 - g1)) -v g2=$((h2 - g2)) \
      -v s="$(( (t1 - t0) / 1000000 ))" 'BEGIN { if (ok > 0) printf "%.0f %.0f %.0f %.0f %.1f %.1f %d\n",
        ct / ok, cl / ok, st / ok, sl / ok, g1 * 10000 / s, g2 * 10000 / s, ok; else print "- - - - - - 0" }')"
    echo "round $r: $n: ${R[$n,$r]} (bytes/req client, client loops, server, server loops; young GCs/10 s client, server; requests)" >&2
  done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

f() { awk -v k="$2" '{print $k}' <<<"$1"; }
median() { printf '%s\n' "$@" | awk '$1 != "-"' | sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
col() { local n="$1" k="$2" vals=(); for r in $(seq 1 "$ROUNDS"); do vals+=("$(f "${R[$n,$r]}" "$k")"); done; median "${vals[@]}"; }
rounds_of() { local n="$1" k="$2" vals=(); for r in $(seq 1 "$ROUNDS"); do vals+=("$(f "${R[$n,$r]}" "$k")"); done; echo "${vals[*]}" | tr ' ' '/'; }
TABLE="| build | bytes / request, client-side proxy (event loops) | bytes / request, server-side proxy (event loops) | young GCs per 10 s (client / server) | bytes / request per round (client / server) | requests per round |
|---|---:|---:|---|---|---:|"
for n in "${NAMES[@]}"; do
  TABLE+="
| $n | $(col "$n" 1) ($(col "$n" 2)) | $(col "$n" 3) ($(col "$n" 4)) | $(col "$n" 5) / $(col "$n" 6) | $(rounds_of "$n" 1) / $(rounds_of "$n" 3) | $(col "$n" 7) |"
done
RATIO=""
if (( ${#NAMES[@]} > 1 )); then
  base="${NAMES[1]}"
  for n in "${NAMES[@]}"; do
    [[ $n == "$base" ]] && continue
    RATIO+="- $n against $base (same run): $(awk -v a="$(col "$n" 1)" -v b="$(col "$base" 1)" 'BEGIN {printf "%+.0f bytes (%+.1f %%)", a - b, 100 * (a - b) / b}') per request client-side, $(awk -v a="$(col "$n" 3)" -v b="$(col "$base" 3)" 'BEGIN {printf "%+.0f bytes (%+.1f %%)", a - b, 100 * (a - b) / b}') server-side; young collections per 10 s $(col "$base" 5) -> $(col "$n" 5) client-side, $(col "$base" 6) -> $(col "$n" 6) server-side (-Xmn24m: a young collection per ~$(awk -v b="$(col "$n" 1)" 'BEGIN {printf "%.0f", 19.2e6 / b}') requests at ${RATE} req/s, where eden is ~19.2 MB).
"
  done
fi

PROF=""
if (( PROFILE )); then
  # JFR's profile settings with allocation samples throttled at 2,000/s instead of 300/s.
  python3 - "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/jfr/profile.jfc" > "$WORK/alloc.jfc" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
print(re.sub(r'(<event name="jdk.ObjectAllocationSample">.*?name="throttle"[^>]*>)[^<]*', r"\g<1>2000/s", t, flags=re.S), end="")
PY
  for n in "${NAMES[@]}"; do
    for side in client server; do
      pid="$( [[ $side == client ]] && echo "${P1[$n]}" || echo "${P2[$n]}")"
      jcmd "$pid" JFR.start name=alloc settings="$WORK/alloc.jfc" >/dev/null
    done
    echo "profiling $n (JFR, 10 s at ${RATE}/s)..." >&2
    at_rate "${OUT[$n]}" $((10 * RATE)) >/dev/null
    for side in client server; do
      pid="$( [[ $side == client ]] && echo "${P1[$n]}" || echo "${P2[$n]}")"
      jcmd "$pid" JFR.dump name=alloc filename="$WORK/$n-$side.jfr" >/dev/null
      jcmd "$pid" JFR.stop name=alloc >/dev/null
      PROF+="
Allocation profile, $n, ${side}-side proxy (JFR jdk.ObjectAllocationSample at up to 2,000 samples/s, event-loop threads, 10 s at ${RATE}/s; shares of the samples, which follow the bytes):

$(python3 "$WORK/alloc.py" top "$WORK/$n-$side.jfr" "$TOP")
"
    done
  done
fi

SECTION="$(cat <<OUT
## sidecar allocation

\`bench/sidecar-alloc.sh ${ARGS}\`: heap allocated per request by each proxy of \`bench/sidecar.sh\`'s pair (client ->
BenchProxy client-side sidecar, 100 clusters -> mTLS -> BenchProxy server-side sidecar -> BenchLoad app; HTTP/1.1
keep-alive, 1 KiB responses; the shipped jvm.options: SerialGC, -Xmn24m), one pair per build, all up at once. Load:
\`h2load --h1\` at ${RATE} req/s (${CLIENTS} connections of --rps 10). After a ${WARMUP} s warm-up per pair at the rate,
${ROUNDS} rounds of ${REQUESTS} requests alternate over the builds; around each round a probe reads every thread's allocated
bytes (\`ThreadMXBean#getThreadAllocatedBytes\` through the JVM's local JMX agent; the probe's own JMX, RMI and attach
threads excluded) and the proxies' GC logs give the young collections. Bytes per request: all of a proxy's threads
(in brackets: its event loops only) over the requests completed, so timers and other per-second work are spread over
the requests. Medians of the rounds.
Date: $(date -u +%Y-%m-%dT%H:%MZ). Machine: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo);
$(java -version 2>&1 | head -1). Load average before/after: ${LOAD_BEFORE} / ${LOAD_AFTER} (the figures do not depend on it).
Builds:
$(sed 's/^/- /' "$WORK/builds.md")

${TABLE}

Reading:
${RATIO}$( [[ -n "$NOTES" ]] && cat "$NOTES")
${PROF}
OUT
)"
echo "$SECTION"
(( WRITE )) || exit 0
python3 - "$ROOT/bench/RESULTS.md" "$SECTION" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2].rstrip() + "\n"
text = open(path).read()
pattern = re.compile(r"^## sidecar allocation\n.*?(?=^## |\Z)", re.S | re.M)
text = pattern.sub(lambda m: section + ("\n" if m.end() < len(text) else ""), text) if pattern.search(text) \
    else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
