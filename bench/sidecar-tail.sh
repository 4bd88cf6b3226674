#!/usr/bin/env bash
# The latency tail of the sidecar pair at a fixed rate: bench/sidecar.sh's path (client -> sidecar -> mTLS -> sidecar
# -> app, same certificates, app, HAProxy pair and h2load load), with several Isthmus pairs that differ in JVM options
# or event loops, measured in interleaved rounds (the order rotates each round) so that the machine's other work
# falls on all of them alike. Per fixed-rate run it keeps h2load's per-request log and reads, for both proxies, CPU
# time, run-queue wait and context switches per thread kind (event loops, C1/C2 compiler threads, VM thread) from
# /proc; with --jfr each proxy records JFR (compilations with no threshold) and the report counts the GCs, C2
# compilations and deoptimizations inside each run and how often the slowest 1 % of requests overlap a GC pause or
# a C2 compilation, compared with all requests. Prints markdown tables: one row per run, then medians of rounds.
#
# Usage: bench/sidecar-tail.sh [--rounds N] [--seconds S] [--warmup S] [--warmup-at-rate] [--no-saturate]
#                              [--rate R] [--jfr] [--boost] [--keep DIR] [--variant 'NAME=LOOPS:JVM OPTIONS']...
#   defaults: 3 rounds, 10 s per run at 1,000 req/s (100 connections of --rps 10), a 15 s wrk warm-up per path
#   at saturation, and before each fixed-rate run 10 s of wrk at saturation as bench/sidecar.sh does.
#   --variant: an Isthmus pair with LOOPS event loops (and as many servers per listener) and the shipped jvm.options
#     followed by JVM OPTIONS (later options win; to change the collector write e.g. -XX:-UseSerialGC
#     -XX:+UseParallelGC). Default: 'shipped=2:' and 'c1=2:-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m'.
#   --warmup-at-rate: warm up each path with h2load at the fixed rate instead of wrk at saturation.
#   --no-saturate: no wrk run before each fixed-rate run (the JIT then sees one traffic shape only).
#   --boost: raise the scheduler autogroup weight of this script and its children (nice -20 in /proc/self/autogroup,
#     needs root) during the fixed-rate runs only, so that other work on the machine delays the measured processes
#     less (they compete among themselves as before); wrk runs stay at normal weight.
#   --keep DIR: keep logs, per-request logs and JFR recordings in DIR (default: a temporary directory, removed).
#   --classpath CP: use CP (sidecar main and test classes first) instead of building the module (a frozen copy, so
#     that rebuilds in the tree cannot change the subject during a long comparison); --jvm-options FILE likewise.
# Needs: a JDK 17+ (javac, jfr), Maven, python3, haproxy, wrk, h2load. Not a test.
set -euo pipefail

ARGS="$*"
ROUNDS=3; SECS=10; WARMUP=15; RATE=1000; JFR=0; SAT=1; BOOST=0; WARM_AT_RATE=0; KEEP=""; VARIANTS=(); GIVEN_CP=""
OPTS_FILE=sidecar/src/main/resources/io/isthmus/sidecar/jvm.options
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --seconds) SECS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --warmup-at-rate) WARM_AT_RATE=1; shift ;;
    --no-saturate) SAT=0; shift ;;
    --rate) RATE="$2"; shift 2 ;;
    --jfr) JFR=1; shift ;;
    --boost) BOOST=1; shift ;;
    --keep) KEEP="$2"; shift 2 ;;
    --classpath) GIVEN_CP="$2"; shift 2 ;;
    --jvm-options) OPTS_FILE="$(readlink -f "$2")"; shift 2 ;;
    --variant) VARIANTS+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
(( RATE >= 10 && RATE % 10 == 0 )) || { echo "--rate must be a multiple of 10" >&2; exit 2; }
(( ${#VARIANTS[@]} )) || VARIANTS=('shipped=2:' 'c1=2:-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m')
for v in "${VARIANTS[@]}"; do
  [[ "$v" =~ ^[a-z0-9-]+=[1-9][0-9]*: ]] || { echo "bad --variant '$v' (NAME=LOOPS:OPTIONS)" >&2; exit 2; }
done
for tool in haproxy wrk h2load python3 javac jfr; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
if [[ -n "$KEEP" ]]; then mkdir -p "$KEEP"; WORK="$(cd "$KEEP" && pwd)"; else WORK="$(mktemp -d)"; fi
PIDS=()
cleanup() {
  (( BOOST )) && echo 0 > /proc/self/autogroup 2>/dev/null
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  [[ -n "$KEEP" ]] || rm -rf "$WORK"
}
trap cleanup EXIT
boost() { if (( BOOST )); then echo "$1" > /proc/self/autogroup; fi; }

if [[ -n "$GIVEN_CP" ]]; then
  echo "$GIVEN_CP" > "$WORK/cp.txt"; mkdir -p "$WORK/classes" "$WORK/test-classes"
else
  echo "building sidecar (main and test classes) into a private copy..." >&2
  mvn_q() { mvn -B -q -o "$@" >&2 2>/dev/null || mvn -B -q "$@" >&2; }
  mvn_q -pl sidecar dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
  mvn_q -pl sidecar test-compile
  rm -rf "$WORK/classes" "$WORK/test-classes"
  cp -r sidecar/target/classes "$WORK/classes"; cp -r sidecar/target/test-classes "$WORK/test-classes"
fi
cp "$OPTS_FILE" "$WORK/jvm.options"
# BenchProxy takes its event loops (Vert.x pool and servers per listener) from -Dbench.concurrency.
grep -q 'bench.concurrency' sidecar/src/test/java/io/isthmus/sidecar/bench/BenchProxy.java \
  || { echo "BenchProxy does not read -Dbench.concurrency: cannot set the event loops per variant" >&2; exit 1; }
CP="$WORK/test-classes:$WORK/classes:$(cat "$WORK/cp.txt")"
cat > "$WORK/tail.py" <<'PY'
#!/usr/bin/env python3
"""Helpers of bench/sidecar-tail.sh.

  snap PID...        per-thread counters of processes (JSON): CPU ns, run-queue wait ns, voluntary and involuntary
                     context switches, summed by thread kind (event loops, C1/C2 compiler threads, VM thread, others);
                     plus the machine's CPU pressure (PSI "some", ns)
  report DIR         per-run table, medians of rounds (added latency = path minus the same round's direct run) and,
                     when the proxies recorded JFR, the JVM events inside each fixed-rate run and how often the
                     slowest 1 % of requests overlap a GC pause or a C2 compilation compared with all requests
"""
import bisect, datetime, json, os, re, statistics as st, subprocess, sys


def kind(comm):
    for prefix, k in (("vert.x-eventloo", "loop"), ("C2 Compiler", "c2"), ("C1 Compiler", "c1"), ("VM Thread", "vm")):
        if comm.startswith(prefix):
            return k
    return "other"


def snap(pids):
    out = {}
    for pid in pids:
        agg = {}
        base = f"/proc/{pid}/task"
        for tid in os.listdir(base):
            try:
                comm = open(f"{base}/{tid}/comm").read().strip()
                run, wait, _ = map(int, open(f"{base}/{tid}/schedstat").read().split())
                cs = {}
                for line in open(f"{base}/{tid}/status"):
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        cs[line.split(":")[0]] = int(line.split()[1])
            except (FileNotFoundError, ProcessLookupError, ValueError):
                continue
            a = agg.setdefault(kind(comm), [0, 0, 0, 0])
            a[0] += run; a[1] += wait
            a[2] += cs.get("voluntary_ctxt_switches", 0); a[3] += cs.get("nonvoluntary_ctxt_switches", 0)
        out[pid] = agg
    out["psi_ns"] = 0
    if os.path.exists("/proc/pressure/cpu"):
        for line in open("/proc/pressure/cpu"):
            if line.startswith("some"):
                out["psi_ns"] = int(line.split("total=")[1]) * 1000
    print(json.dumps(out))


def pct(v, q):
    r = int(q * len(v))
    if r < q * len(v):
        r += 1
    return v[max(r, 1) - 1]


def requests(path):
    """(start ns, end ns, duration us, ok) per request of an h2load --log-file"""
    rows = []
    for line in open(path):
        a = line.rstrip("\n").split("\t")
        if len(a) >= 3:
            s = int(a[0]) * 1000
            rows.append((s, s + int(a[2]) * 1000, int(a[2]), a[1].startswith("2")))
    return rows


def latency(rows):
    d = sorted(r[2] for r in rows)
    res = {k: pct(d, q) / 1000 for k, q in (("p50", .5), ("p90", .9), ("p99", .99), ("p999", .999))}
    res.update(n=len(d), bad=sum(1 for r in rows if not r[3]), max=d[-1] / 1000)
    # the slowest 1 %: runs of slow requests that overlap or start within 1 ms of each other
    thr = pct(d, .99)
    groups = []
    for s, e, _, _ in sorted(r for r in rows if r[2] >= thr):
        if groups and s <= groups[-1][1] + 1_000_000:
            groups[-1][1] = max(groups[-1][1], e); groups[-1][2] += 1
        else:
            groups.append([s, e, 1])
    res["slow_in_runs_ge3"] = sum(g[2] for g in groups if g[2] >= 3)
    res["slow_n"] = sum(g[2] for g in groups)
    return res, thr


def ts(s):
    m = re.match(r"(\d+-\d+-\d+T\d+:\d+:\d+)(?:\.(\d+))?Z", s)
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(base.timestamp()) * 1_000_000_000 + int((m.group(2) or "0").ljust(9, "0")[:9])


def dur(s):
    m = re.match(r"PT(?:(\d+)M)?([\d.]+)S", s or "")
    return int(round((int(m.group(1) or 0) * 60 + float(m.group(2))) * 1e9)) if m else 0


_jfr = {}


def jfr_events(path):
    if path not in _jfr:
        j = json.loads(subprocess.check_output(["jfr", "print", "--json", "--events",
                                                "jdk.GarbageCollection,jdk.Compilation,jdk.Deoptimization", path]))
        ev = {"gc": [], "c2": [], "comp": [], "deopt": []}
        seen = set()
        for e in j["recording"]["events"]:
            v = e["values"]; t = ts(v["startTime"])
            key = (e["type"], v["startTime"], v.get("duration"), v.get("gcId"), v.get("compileId"))
            if key in seen:  # a recording dumped into its own file holds its chunks twice
                continue
            seen.add(key)
            if e["type"] == "jdk.GarbageCollection":
                ev["gc"].append((t, t + dur(v.get("sumOfPauses"))))
            elif e["type"] == "jdk.Compilation":
                ev["comp"].append((t, t + dur(v.get("duration"))))
                if v.get("compileLevel") == 4:
                    ev["c2"].append((t, t + dur(v.get("duration"))))
            else:
                ev["deopt"].append((t, t))
        for k in ev:
            ev[k].sort()
        _jfr[path] = ev
    return _jfr[path]


def overlaps(ivs, s, e):
    i = bisect.bisect_left(ivs, (e,))
    return any(ivs[j][1] > s and ivs[j][0] < e for j in range(i - 1, max(i - 64, -1), -1))


def report(out):
    runs = [json.loads(l) for l in open(f"{out}/runs.jsonl")]
    rows = []
    for r in runs:
        base = f"{out}/r{r['round']}-{r['path']}"
        reqs = requests(base + ".tsv")
        if not reqs:
            print(f"round {r['round']} {r['path']}: no requests logged"); continue
        lat, thr = latency(reqs)
        b = json.load(open(base + ".before.json")); a = json.load(open(base + ".after.json"))
        pids = r["pids"].split()
        d = {}
        for i, pid in enumerate(pids[1:]):
            for k, va in a[pid].items():
                d[(i, k)] = [x - y for x, y in zip(va, b[pid].get(k, [0, 0, 0, 0]))]
        n = lat["n"]
        x = dict(round=r["round"], path=r["path"], load=r["load"], **lat)
        x["cpu"] = [sum(v[0] for (i, k), v in d.items() if i == side) / 1e9 / (n / 1000) for side in (0, 1)]
        x["comp_ms"] = sum(v[0] for (i, k), v in d.items() if k in ("c1", "c2")) / 1e6
        x["loop_wait_us"] = sum(v[1] for (i, k), v in d.items() if k == "loop") / 1e3 / n
        x["loop_cs"] = sum(v[2] + v[3] for (i, k), v in d.items() if k == "loop") / n
        x["psi"] = (a.get("psi_ns", 0) - b.get("psi_ns", 0)) / (r["t1"] - r["t0"])
        jf = [f"{out}/{r['path']}-{side}.dump.jfr" for side in ("client", "server")]
        jf = [f if os.path.exists(f) else f.replace(".dump.jfr", ".jfr") for f in jf]
        if all(os.path.exists(f) for f in jf):
            ev = [jfr_events(f) for f in jf]
            inrun = lambda lst: [e for e in lst if e[1] > r["t0"] and e[0] < r["t1"]]
            x["gcs"] = sum(len(inrun(e["gc"])) for e in ev)
            x["c2s"] = sum(len(inrun(e["c2"])) for e in ev)
            x["deopts"] = sum(len(inrun(e["deopt"])) for e in ev)
            for k in ("gc", "c2"):
                hit = [any(overlaps(e[k], q[0], q[1]) for e in ev) for q in reqs]
                slow = [h for h, q in zip(hit, reqs) if q[2] >= thr]
                x[k + "_slow"] = 100 * sum(slow) / max(len(slow), 1)
                x[k + "_all"] = 100 * sum(hit) / len(hit)
        rows.append(x)
    jfr_cols = any("gcs" in x for x in rows)
    print("| round | path | load | p50 | p90 | p99 | p99.9 | CPU s/1k req cli/srv | compiler ms | loop run-queue wait us/req | "
          "loop cs/req | slow 1 % in runs of >= 3 |" + (" GCs | C2 compiles | deopts | slow / all overlapping a GC pause % | "
                                                         "slow / all during a C2 compile % |" if jfr_cols else ""))
    print("|" + "---|" * (12 + (5 if jfr_cols else 0)))
    for x in rows:
        line = (f"| {x['round']} | {x['path']} | {x['load']:.1f} | {x['p50']:.3f} | {x['p90']:.3f} | {x['p99']:.3f} | {x['p999']:.3f} | "
                f"{x['cpu'][0]:.3f} / {x['cpu'][1]:.3f} | {x['comp_ms']:.0f} | {x['loop_wait_us']:.0f} | {x['loop_cs']:.2f} | "
                f"{x['slow_in_runs_ge3']} / {x['slow_n']} |")
        if jfr_cols:
            line += (f" {x.get('gcs', '-')} | {x.get('c2s', '-')} | {x.get('deopts', '-')} | "
                     f"{x.get('gc_slow', 0):.0f} / {x.get('gc_all', 0):.1f} | {x.get('c2_slow', 0):.0f} / {x.get('c2_all', 0):.1f} |")
        print(line)
    paths = list(dict.fromkeys(x["path"] for x in rows))
    direct = {x["round"]: x for x in rows if x["path"] == "direct"}
    print()
    print("Medians of rounds (added: minus the same round's direct run):")
    print()
    print("| path | p50 | p90 | p99 | added p50 / p90 / p99 ms | CPU s per 1,000 req (client + server proxy) | compiler ms | "
          "loop run-queue wait us/req |" + (" C2 compiles | deopts | GCs |" if jfr_cols else ""))
    print("|" + "---|" * (8 + (3 if jfr_cols else 0)))
    for p in paths:
        xs = [x for x in rows if x["path"] == p]
        med = lambda f: st.median(f(x) for x in xs)
        add = lambda k: st.median([x[k] - direct[x["round"]][k] for x in xs if x["round"] in direct] or [float("nan")])
        line = (f"| {p} | {med(lambda x: x['p50']):.3f} | {med(lambda x: x['p90']):.3f} | {med(lambda x: x['p99']):.3f} | "
                f"{add('p50'):+.3f} / {add('p90'):+.3f} / {add('p99'):+.3f} | {med(lambda x: sum(x['cpu'])):.3f} "
                f"({med(lambda x: x['cpu'][0]):.3f} + {med(lambda x: x['cpu'][1]):.3f}) | {med(lambda x: x['comp_ms']):.0f} | "
                f"{med(lambda x: x['loop_wait_us']):.0f} |")
        if jfr_cols:
            line += " " + " | ".join(f"{med(lambda x: x.get(k, 0)):.0f}" for k in ("c2s", "deopts", "gcs")) + " |"
        print(line)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "snap":
        snap(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)
PY
mapfile -t SHIPPED < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$WORK/jvm.options")
# JFR: the profile settings with every compilation recorded.
python3 - "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/jfr/profile.jfc" > "$WORK/tail.jfc" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
print(re.sub(r'(<event name="jdk.Compilation">.*?threshold"[^>]*>)[^<]*', r"\g<1>0 ms", t, flags=re.S), end="")
PY

start() { # name, command... (runs in this shell so that the cleanup knows the process)
  local name="$1"; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 600); do grep -q '^ready' "$WORK/$name.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '^ready' "$WORK/$name.log" || { echo "$name did not start:"; cat "$WORK/$name.log"; exit 1; } >&2
}
pid_of() { awk '/^ready/ {print $3; exit}' "$WORK/$1.log"; }
APP=18180; HA_OUT=18182; HA_IN=18183
AUTH="reviews.default.svc.cluster.local:9080"
java -cp "$CP" io.isthmus.sidecar.bench.BenchCerts "$WORK/certs"
C="$WORK/certs"
cat "$C/client/cert-chain.pem" "$C/client/key.pem" > "$WORK/client.pem"
cat "$C/server/cert-chain.pem" "$C/server/key.pem" > "$WORK/server.pem"
start app java -Xmx256m -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.isthmus.sidecar.bench.BenchLoad app "$APP"
APP_PID="$(pid_of app)"

# The HAProxy pair of bench/sidecar.sh.
haproxy_cfg() { # frontend-bind backend-server
  printf 'global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n'
  printf '  option http-keep-alive\nfrontend f\n  bind %s\n' "$1"
  [[ "$1" == *ssl* ]] && printf '  http-request set-header x-forwarded-client-cert "URI=%%{+Q}[ssl_c_s_dn]"\n'
  printf '  default_backend b\nbackend b\n  http-reuse always\n  server s %s\n' "$2"
}
haproxy_cfg "127.0.0.1:$HA_IN ssl crt $WORK/server.pem ca-file $C/server/root-cert.pem verify required" "127.0.0.1:$APP" > "$WORK/ha-server.cfg"
haproxy_cfg "127.0.0.1:$HA_OUT" "127.0.0.1:$HA_IN ssl crt $WORK/client.pem ca-file $C/client/root-cert.pem verify required" > "$WORK/ha-client.cfg"
declare -A HOST PORT P1 P2
haproxy -f "$WORK/ha-server.cfg" -db >"$WORK/ha-server.log" 2>&1 & P2[haproxy]=$!; PIDS+=("$!")
haproxy -f "$WORK/ha-client.cfg" -db >"$WORK/ha-client.log" 2>&1 & P1[haproxy]=$!; PIDS+=("$!")
PATHS=(direct haproxy)
HOST[direct]=127.0.0.1; PORT[direct]=$APP; HOST[haproxy]=127.0.0.1; PORT[haproxy]=$HA_OUT

i=0
for v in "${VARIANTS[@]}"; do
  name="${v%%=*}"; rest="${v#*=}"; loops="${rest%%:*}"; read -r -a EXTRA <<<"${rest#*:}"
  out=$((18200 + 2 * i)); in=$((18201 + 2 * i)); i=$((i + 1))
  for side in server client; do
    J=()
    (( JFR )) && J=("-XX:StartFlightRecording=settings=$WORK/tail.jfc")
    if [[ $side == server ]]; then args=(server "$C/server" "$in" "$APP"); else args=(client "$C/client" "$out" "$in" 99); fi
    start "$name-$side" java "${SHIPPED[@]}" "${EXTRA[@]}" "${J[@]}" -Dbench.concurrency="$loops" -cp "$CP" \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn --add-opens java.base/java.nio=ALL-UNNAMED \
      io.isthmus.sidecar.bench.BenchProxy "${args[@]}"
  done
  P1[$name]="$(pid_of "$name-client")"; P2[$name]="$(pid_of "$name-server")"
  PATHS+=("$name"); HOST[$name]=127.0.0.2; PORT[$name]=$out
  echo "- $name: ${SHIPPED[*]} ${EXTRA[*]}, $loops event loops" >> "$WORK/variants.md"
done
sleep 1

saturate() { wrk -t 1 -c 32 -d "${3}s" -H "Host: $AUTH" "http://$1:$2/bench" >>"$WORK/wrk.log" 2>&1 || true; }
CLIENTS=$((RATE / 10))
at_rate() { # host port seconds [log]
  local log=()
  [[ -n "${4:-}" ]] && log=(--log-file="$4")
  h2load --h1 -t 1 -c "$CLIENTS" --rps 10 -r 1 --rate-period 1ms -n $((RATE * $3)) -H ":authority: $AUTH" \
    "${log[@]}" "http://$1:$2/bench" 2>&1 || true
}
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "warming up ${WARMUP} s per path ($( ((WARM_AT_RATE)) && echo "at ${RATE}/s" || echo "at saturation"))..." >&2
for p in "${PATHS[@]}"; do
  if (( WARM_AT_RATE )); then boost -20; at_rate "${HOST[$p]}" "${PORT[$p]}" "$WARMUP" >/dev/null; boost 0
  else saturate "${HOST[$p]}" "${PORT[$p]}" "$WARMUP"; fi
done
for r in $(seq 1 "$ROUNDS"); do
  order=(); n=${#PATHS[@]}
  for k in $(seq 0 $((n - 1))); do order+=("${PATHS[$(( (k + r - 1) % n ))]}"); done
  for p in "${order[@]}"; do
    (( SAT )) && saturate "${HOST[$p]}" "${PORT[$p]}" 10
    pids=("$APP_PID"); [[ -n "${P1[$p]:-}" ]] && pids+=("${P1[$p]}" "${P2[$p]}")
    la="$(cut -d' ' -f1 /proc/loadavg)"
    python3 "$WORK/tail.py" snap "${pids[@]}" > "$WORK/r$r-$p.before.json"
    boost -20
    t0=$(date +%s%N)
    at_rate "${HOST[$p]}" "${PORT[$p]}" "$SECS" "$WORK/r$r-$p.tsv" > "$WORK/r$r-$p.h2load"
    t1=$(date +%s%N)
    boost 0
    python3 "$WORK/tail.py" snap "${pids[@]}" > "$WORK/r$r-$p.after.json"
    echo "{\"round\": $r, \"path\": \"$p\", \"t0\": $t0, \"t1\": $t1, \"load\": $la, \"pids\": \"${pids[*]}\"}" >> "$WORK/runs.jsonl"
    echo "round $r: $p (load $la)" >&2
  done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
if (( JFR )); then
  for v in "${VARIANTS[@]}"; do
    for side in client server; do jcmd "$(pid_of "${v%%=*}-$side")" JFR.dump filename="$WORK/${v%%=*}-$side.dump.jfr" >/dev/null 2>&1 || true; done
  done
fi

cat <<OUT
## sidecar tail

\`bench/sidecar-tail.sh ${ARGS}\`: ${ROUNDS} interleaved rounds of ${SECS} s at ${RATE} req/s (h2load --h1, ${CLIENTS}
connections of --rps 10) per path, $( ((SAT)) && echo "each after 10 s of wrk at saturation (as bench/sidecar.sh)" || echo "no saturation between runs"),
after a ${WARMUP} s warm-up per path $( ((WARM_AT_RATE)) && echo "at the fixed rate" || echo "at saturation")$( ((BOOST)) && echo "; the script's autogroup at nice -20 during the fixed-rate runs")$( ((JFR)) && echo "; JFR in every proxy").
Date: $(date -u +%Y-%m-%dT%H:%MZ). Machine: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores;
$(java -version 2>&1 | head -1). Load average before/after: ${LOAD_BEFORE} / ${LOAD_AFTER}.
Isthmus pairs (shipped = sidecar/src/main/resources/io/isthmus/sidecar/jvm.options):
$(cat "$WORK/variants.md")

$(python3 "$WORK/tail.py" report "$WORK")
OUT
