#!/usr/bin/env bash
# TLS-terminating ingress: one HTTP backend (a Vert.x server answering 1 KiB) behind three proxies that
# terminate TLS for the host ingress.bench.local (EC P-256 certificate, TLS 1.3) and route to it over
# plaintext keep-alive connections: the Isthmus proxy as an ingress gateway (isthmus proxy --mode router,
# with the listener a Gateway server gets: once with the host as SNI, once for hosts "*"), HAProxy 2.6 and
# nginx 1.22, measured one after another in one run with the same client and load.
# Measures max requests/s (closed loop, keep-alive), p50/p90/p99 at a fixed rate (open loop, latency from
# the scheduled send time), new TLS connections/s (closed loop, one request per connection, full handshakes),
# CPU seconds per 1,000 requests at the fixed rate and per 1,000 new connections, and RSS of each proxy.
# Medians of several rounds, rounds alternating over the proxies. Everything runs on 127.0.0.1; load
# generator, backend and proxies share this machine's cores.
# Prints a markdown section and replaces the "## ingress" section of bench/RESULTS.md.
#
# Usage: bench/ingress.sh [--seconds S] [--rounds R] [--connections N] [--handshakers N] [--rate RPS]
#        (defaults: 10 s per measurement, 3 rounds, 32 keep-alive connections, 16 handshaking loops, 1000/s)
# Needs: a JDK 17+, Maven, openssl, haproxy and nginx (both installed with apt-get when missing). Not a test.
set -euo pipefail

SECS=10
ROUNDS=3
CONNS=32
HANDSHAKERS=16
RATE=1000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --connections) CONNS="$2"; shift 2 ;;
    --handshakers) HANDSHAKERS="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

install_quietly() { # package: installed with apt-get; no service it ships is left running
  (DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q "$1" >/dev/null 2>&1) || true
  if [[ -s /run/nginx.pid ]] && grep -q nginx "/proc/$(cat /run/nginx.pid)/cmdline" 2>/dev/null; then
    nginx -s quit 2>/dev/null || kill "$(cat /run/nginx.pid)" 2>/dev/null || true
  fi
}
command -v haproxy >/dev/null || install_quietly haproxy
command -v nginx >/dev/null || install_quietly nginx
HAPROXY="$(command -v haproxy || true)"
NGINX="$(command -v nginx || true)"
[[ -n "$HAPROXY" ]] || { echo "haproxy is required (apt-get install haproxy)" >&2; exit 1; }
[[ -n "$NGINX" ]] || { echo "nginx is required (apt-get install nginx)" >&2; exit 1; }

WORK="$(mktemp -d)"
chmod 755 "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [[ -z "$p" ]] || kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$WORK"; }
trap cleanup EXIT

echo "building sidecar (main and test classes)..." >&2
mvn_q() { mvn -B -q -o "$@" >&2 2>/dev/null || mvn -B -q "$@" >&2; }
mvn_q -pl sidecar test-compile
mvn_q -pl sidecar dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
CP="sidecar/target/test-classes:sidecar/target/classes:$(cat "$WORK/cp.txt")"
# The proxy as the isthmus launcher runs `isthmus proxy`: its flags, then the proxy's shipped jvm.options.
PROXY_OPTS="$ROOT/sidecar/src/main/resources/io/isthmus/sidecar/jvm.options"
JAVA_PROXY=(java -XX:+UseSerialGC -Xss512k --add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED)
[[ -f "$PROXY_OPTS" ]] && JAVA_PROXY+=("@$PROXY_OPTS")
JAVA_PROXY+=(-cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)
JAVA_LOAD=(java -Xmx512m -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)

APP=19080; ISTHMUS=19443; HAPORT=19444; NGPORT=19445; ISTHMUS_ANY=19446; ISTHMUS_C2=19447
ADMIN=19000; HEALTH=19021; METRICS=19090; ADMIN_C2=19001; HEALTH_C2=19022; METRICS_C2=19091
HOST=ingress.bench.local
for p in $APP $ISTHMUS $HAPORT $NGPORT $ISTHMUS_ANY $ISTHMUS_C2 $ADMIN $HEALTH $METRICS $ADMIN_C2 $HEALTH_C2 $METRICS_C2; do
  if ss -Hltn "sport = :$p" | grep -q .; then echo "port $p is in use; stop what holds it first" >&2; exit 1; fi
done

# One CA and one server certificate for the host, shared by the three proxies.
C="$WORK/certs"
mkdir -p "$C/isthmus"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$C/ca.key" 2>/dev/null
openssl req -x509 -new -key "$C/ca.key" -subj "/O=bench/CN=bench root" -days 2 -out "$C/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$C/server.key" 2>/dev/null
openssl req -new -key "$C/server.key" -subj "/CN=$HOST" -out "$C/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' "$HOST" > "$C/ext.cnf"
openssl x509 -req -in "$C/server.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial -days 2 \
  -extfile "$C/ext.cnf" -out "$C/server.pem" 2>/dev/null
cp "$C/server.pem" "$C/isthmus/cert-chain.pem"; cp "$C/server.key" "$C/isthmus/key.pem"; cp "$C/ca.pem" "$C/isthmus/root-cert.pem"
cat "$C/server.pem" "$C/server.key" > "$C/haproxy.pem"
b64() { base64 -w0 < "$1"; }
chmod 644 "$C"/*

"${JAVA_LOAD[@]}" io.isthmus.sidecar.bench.BenchLoad app "$APP" >"$WORK/app.log" 2>&1 & PIDS+=("$!")

# (a) Isthmus: an ingress router with the resources the controller sends for a Gateway selecting it
# (istio: ingressgateway), server port 443 HTTPS, tls.mode SIMPLE, credentialName ingress-bench-cert, and a
# VirtualService routing its host to the backend: listener 0.0.0.0_443 (bound on 127.0.0.1 here) with one
# chain per server, filter_chain_match.server_names = the host, certificate by SDS kubernetes://<credentialName>.
# They come from a static bootstrap (the same handlers as over ADS), the Secret inline as the controller sends it.
# A second listener has the chain a server with hosts ["*"] gets: no server_names.
CLUSTER="outbound|8080||backend.bench.svc.cluster.local"
SECRET="kubernetes://ingress-bench-cert"
listener() { # name, port, server_names (JSON list)
  cat <<YAML
  - name: $1
    address: {socket_address: {address: 127.0.0.1, port_value: $2}}
    listener_filters:
    - name: envoy.filters.listener.tls_inspector
      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector}
    filter_chains:
    - filter_chain_match: {server_names: $3}
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificate_sds_secret_configs: [{name: "$SECRET", sds_config: {ads: {}, resource_api_version: V3}}]
            alpn_protocols: [h2, http/1.1]
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: outbound_0.0.0.0_443
          use_remote_address: true
          route_config:
            name: https.443.https.ingress.istio-system
            virtual_hosts:
            - name: "$HOST:443"
              domains: ["$HOST", "$HOST:443"]
              routes:
              - match: {prefix: /}
                route: {cluster: "$CLUSTER"}
          http_filters:
          - name: envoy.filters.http.router
            typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
YAML
}
cat > "$WORK/ingress.yaml" <<YAML
node:
  id: router~127.0.0.1~istio-ingressgateway-bench.istio-system~istio-system.svc.cluster.local
  cluster: istio-ingressgateway
  metadata:
    NAMESPACE: istio-system
    SERVICE_ACCOUNT: istio-ingressgateway-service-account
    LABELS: {istio: ingressgateway}
static_resources:
  secrets:
  - name: "$SECRET"
    tls_certificate:
      certificate_chain: {inline_bytes: "$(b64 "$C/server.pem")"}
      private_key: {inline_bytes: "$(b64 "$C/server.key")"}
  clusters:
  - name: "$CLUSTER"
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: "$CLUSTER"
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: $APP}}}
  listeners:
YAML
cp "$WORK/ingress.yaml" "$WORK/ingress-c2.yaml"
{ listener 0.0.0.0_443 "$ISTHMUS" "[\"$HOST\"]"; listener 0.0.0.0_443_any "$ISTHMUS_ANY" "[]"; } >> "$WORK/ingress.yaml"
listener 0.0.0.0_443 "$ISTHMUS_C2" "[\"$HOST\"]" >> "$WORK/ingress-c2.yaml"
# The proxy's own workload certificate (SDS default; unused by these chains) from a directory.
"${JAVA_PROXY[@]}" io.isthmus.sidecar.cli.ProxyCommand --mode router --bootstrap "$WORK/ingress.yaml" \
  --cert-dir "$C/isthmus" --admin-port "$ADMIN" --health-address 127.0.0.1 --health-port "$HEALTH" \
  --metrics-port "$METRICS" >"$WORK/isthmus.log" 2>&1 & IST_PID=$!; PIDS+=("$IST_PID")
# The same Gateway listener in a second JVM whose later flags override jvm.options: both JIT tiers (C2 too)
# and a 256 MB heap, to show what the shipped memory-first options cost a gateway in CPU.
C2_FLAGS=(-XX:TieredStopAtLevel=4 -XX:CICompilerCount=2 -XX:ReservedCodeCacheSize=64m -Xmx256m -Xmn32m)
"${JAVA_PROXY[@]:0:${#JAVA_PROXY[@]}-3}" "${C2_FLAGS[@]}" "${JAVA_PROXY[@]: -3}" io.isthmus.sidecar.cli.ProxyCommand \
  --mode router --bootstrap "$WORK/ingress-c2.yaml" --cert-dir "$C/isthmus" --admin-port "$ADMIN_C2" \
  --health-address 127.0.0.1 --health-port "$HEALTH_C2" --metrics-port "$METRICS_C2" >"$WORK/isthmus_c2.log" 2>&1 &
IST_C2_PID=$!; PIDS+=("$IST_C2_PID")

# (b) HAProxy: 2 threads (one per core), keep-alive both sides, idle server connections reused.
cat > "$WORK/haproxy.cfg" <<CFG
global
  nbthread 2
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend ingress
  bind 127.0.0.1:$HAPORT ssl crt $C/haproxy.pem alpn h2,http/1.1
  default_backend app
backend app
  http-reuse always
  server app 127.0.0.1:$APP
CFG
"$HAPROXY" -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 & HA_PID=$!; PIDS+=("$HA_PID")

# (c) nginx: 2 workers (one per core), upstream keep-alive, no request limit per connection, no access log.
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CFG
daemon off;
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  keepalive_requests 1000000;
  upstream app {
    server 127.0.0.1:$APP;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGPORT ssl;
    server_name $HOST;
    ssl_certificate $C/server.pem;
    ssl_certificate_key $C/server.key;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
    }
  }
}
CFG
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" >"$WORK/nginx.log" 2>&1 & NG_PID=$!; PIDS+=("$NG_PID")

PROXIES=(isthmus isthmus_any isthmus_c2 haproxy nginx)
declare -A PORT=([isthmus]=$ISTHMUS [isthmus_any]=$ISTHMUS_ANY [isthmus_c2]=$ISTHMUS_C2 [haproxy]=$HAPORT [nginx]=$NGPORT)
echo "waiting for the backend and the proxies..." >&2
for p in "${PROXIES[@]}"; do
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null --cacert "$C/ca.pem" --resolve "$HOST:${PORT[$p]}:127.0.0.1" "https://$HOST:${PORT[$p]}/" && break
    sleep 0.2
  done
  curl -sf -o /dev/null --cacert "$C/ca.pem" --resolve "$HOST:${PORT[$p]}:127.0.0.1" "https://$HOST:${PORT[$p]}/" \
    || { echo "$p does not answer over TLS:"; cat "$WORK/${p%_any}.log" "$WORK/app.log"; exit 1; } >&2
done

procs() { # the proxy's processes: the JVM, HAProxy, nginx's master and workers
  case "$1" in
    isthmus|isthmus_any) echo "$IST_PID" ;;
    isthmus_c2) echo "$IST_C2_PID" ;;
    haproxy) echo "$HA_PID" ;;
    nginx) echo "$NG_PID" "$(pgrep -P "$NG_PID" | tr '\n' ' ')" ;;
  esac
}
cpu_ticks() { local t=0 p; for p in $(procs "$1"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
rss_mb() { local k=0 p; for p in $(procs "$1"); do k=$((k + $(awk '/VmRSS/ {print $2}' "/proc/$p/status"))); done; echo $((k / 1024)); }
TCK="$(getconf CLK_TCK)"
load() { "${JAVA_LOAD[@]}" -Dbench.tls="$C/ca.pem" "$@"; }

echo "warming up each proxy for 15 s (keep-alive) and 5 s (new connections)..." >&2
for p in "${PROXIES[@]}"; do
  load io.isthmus.sidecar.bench.BenchLoad max 127.0.0.1 "${PORT[$p]}" "$HOST" "$CONNS" 15 >/dev/null
  load -Dbench.keepAlive=false io.isthmus.sidecar.bench.BenchLoad max 127.0.0.1 "${PORT[$p]}" "$HOST" "$HANDSHAKERS" 5 >/dev/null
done

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A MAX P50 P90 P99 ERR CONNS_S CPU_REQ CPU_CONN
for r in $(seq 1 "$ROUNDS"); do
  for p in "${PROXIES[@]}"; do
    echo "round $r/$ROUNDS, $p: saturation, ${RATE}/s, new connections (${SECS} s each)..." >&2
    out="$(load -Dbench.warmup=2 io.isthmus.sidecar.bench.BenchLoad max 127.0.0.1 "${PORT[$p]}" "$HOST" "$CONNS" "$SECS")"
    MAX[$p]+="$(echo "$out" | awk '{print $1}') "; ERR[$p]+="$(echo "$out" | awk '{print $2}') "
    a=$(cpu_ticks "$p")
    out="$(load -Dbench.warmup=5 io.isthmus.sidecar.bench.BenchLoad rate 127.0.0.1 "${PORT[$p]}" "$HOST" "$RATE" "$SECS")"
    b=$(cpu_ticks "$p")
    read -r l50 l90 l99 le <<<"$out"
    P50[$p]+="$l50 "; P90[$p]+="$l90 "; P99[$p]+="$l99 "; ERR[$p]+="$le "
    CPU_REQ[$p]+="$(awk -v t=$((b - a)) -v k="$TCK" -v n=$((RATE * (SECS + 5))) 'BEGIN {printf "%.3f", t / k / (n / 1000)}') "
    a=$(cpu_ticks "$p")
    out="$(load -Dbench.warmup=2 -Dbench.keepAlive=false io.isthmus.sidecar.bench.BenchLoad max 127.0.0.1 "${PORT[$p]}" "$HOST" \
      "$HANDSHAKERS" "$SECS")"
    b=$(cpu_ticks "$p")
    read -r c ce total <<<"$out"
    CONNS_S[$p]+="$c "; ERR[$p]+="$ce "
    CPU_CONN[$p]+="$(awk -v t=$((b - a)) -v k="$TCK" -v n="$total" 'BEGIN {if (n > 0) printf "%.3f", t / k / (n / 1000); else print 0}') "
  done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A RSS
for p in "${PROXIES[@]}"; do RSS[$p]="$(rss_mb "$p")"; done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
sum() { tr ' ' '\n' <<<"$1" | awk '{s += $1} END {print s + 0}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
declare -A M
for p in "${PROXIES[@]}"; do
  M[$p,max]="$(median "${MAX[$p]}")"; M[$p,p50]="$(median "${P50[$p]}")"; M[$p,p90]="$(median "${P90[$p]}")"
  M[$p,p99]="$(median "${P99[$p]}")"; M[$p,conns]="$(median "${CONNS_S[$p]}")"
  M[$p,cpureq]="$(median "${CPU_REQ[$p]}")"; M[$p,cpuconn]="$(median "${CPU_CONN[$p]}")"; M[$p,err]="$(sum "${ERR[$p]}")"
done
row() { # proxy, label
  local p="$1" h=haproxy
  printf '| %s | %.0f (%s) | %s (%s) | %s (%s) | %s (%s) | %.0f (%s) | %s (%s) | %s (%s) | %s (%s) | %s |\n' "$2" \
    "${M[$p,max]}" "$(ratio "${M[$p,max]}" "${M[$h,max]}")" \
    "${M[$p,p50]}" "$(ratio "${M[$p,p50]}" "${M[$h,p50]}")" "${M[$p,p90]}" "$(ratio "${M[$p,p90]}" "${M[$h,p90]}")" \
    "${M[$p,p99]}" "$(ratio "${M[$p,p99]}" "${M[$h,p99]}")" \
    "${M[$p,conns]}" "$(ratio "${M[$p,conns]}" "${M[$h,conns]}")" \
    "${M[$p,cpureq]}" "$(ratio "${M[$p,cpureq]}" "${M[$h,cpureq]}")" \
    "${M[$p,cpuconn]}" "$(ratio "${M[$p,cpuconn]}" "${M[$h,cpuconn]}")" \
    "${RSS[$p]}" "$(ratio "${RSS[$p]}" "${RSS[$h]}")" "${M[$p,err]}"
}
rounds() { printf '| %s | %s | %s | %s | %s |\n' "$2" "${MAX[$1]% }" "${P99[$1]% }" "${CONNS_S[$1]% }" "${CPU_REQ[$1]% }"; }

CPU="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
JAVA="$(java -version 2>&1 | head -1)"
SECTION="$(cat <<OUT
## ingress

\`bench/ingress.sh\`: client -> TLS 1.3 (EC P-256 server certificate, SNI and Host \`$HOST\`) -> proxy -> plaintext
HTTP/1.1 keep-alive -> one Vert.x backend answering 1 KiB, all on 127.0.0.1. Three proxies in one run, same
client, same load. The Isthmus proxy as an ingress gateway: \`isthmus proxy --mode router\` in one JVM started as
the launcher starts it (its flags and the shipped \`jvm.options\`: \`$(grep -v '^#' "$PROXY_OPTS" | tr '\n' ' ' | sed 's/ $//')\`), with the
resources the controller sends for a Gateway server (port 443, HTTPS, \`tls.mode: SIMPLE\`, \`credentialName\`)
and a VirtualService routing the host to the backend, given as a static bootstrap (same handlers as ADS):
listener with \`tls_inspector\`, a chain matching \`server_names: [$HOST]\` (the front socket reads the SNI
and hands the connection to the chain's TLS server over loopback) with the certificate by SDS
\`kubernetes://ingress-bench-cert\` (the Secret inline in \`static_resources.secrets\`), HCM with the route to a
STATIC cluster; and the same for a server with hosts \`*\` (one chain, no server_names: served directly), on
another port of the same process (both rows' CPU and RSS are that process's); and the SNI listener alone in a second
JVM with C2 enabled and a 256 MB heap (\`${C2_FLAGS[*]}\` after jvm.options). HAProxy 2.6 (nbthread 2,
\`http-reuse always\`) and nginx 1.22 (2 workers, upstream keepalive, \`keepalive_requests\` unlimited, no access
log). Server-side TLS session settings at their defaults, but no resumption: the client keeps no sessions.
Load generator: a Vert.x client (BoringSSL, ALPN off, so HTTP/1.1): closed loop with ${CONNS} keep-alive
connections for max requests/s; open loop at ${RATE} requests/s over up to 64 connections (latency from the
scheduled send time, 5 s unmeasured warm-up: a cold client JVM opening TLS connections falls seconds behind at
first); closed loop of ${HANDSHAKERS} concurrent new connections, one request each, for new TLS connections/s.
${SECS} s per measurement (closed loops after 2 s unmeasured on the same client), medians of ${ROUNDS} rounds
alternating over the proxies, after a 15 s + 5 s warm-up of each. CPU is the proxy's processes' user+system time
during the fixed-rate run (per 1,000 requests) and the new-connection run (per 1,000 connections), warm-ups
included on both sides of the division; RSS at the end (nginx: master and workers). In brackets: ratio to HAProxy.

Date: $(date -u +%Y-%m-%dT%H:%MZ). Machine: ${CPU}, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; ${JAVA}; $("$HAPROXY" -v | head -1 | cut -d' ' -f1-3); $("$NGINX" -v 2>&1 | cut -d' ' -f3); $(openssl version | cut -d' ' -f1-2).
Load average before/after: ${LOAD_BEFORE} / ${LOAD_AFTER} (other work shares these cores).

| proxy | max req/s, ${CONNS} conns | p50 ms at ${RATE}/s | p90 ms | p99 ms | new TLS conns/s | CPU s per 1,000 req | CPU s per 1,000 new conns | RSS MB | errors |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$(row isthmus "Isthmus ingress, Gateway host (SNI chain)")
$(row isthmus_any "Isthmus ingress, Gateway host \\* (one chain)")
$(row isthmus_c2 "Isthmus ingress, SNI chain, C2 + 256 MB heap")
$(row haproxy "HAProxy 2.6")
$(row nginx "nginx 1.22")

Every round (max req/s; p99 ms; new conns/s; CPU s per 1,000 req):

| proxy | max req/s | p99 ms | new conns/s | CPU s / 1,000 req |
|---|---|---|---|---|
$(rounds isthmus "Isthmus, SNI chain")
$(rounds isthmus_any "Isthmus, one chain")
$(rounds isthmus_c2 "Isthmus, SNI chain, C2")
$(rounds haproxy HAProxy)
$(rounds nginx nginx)
OUT
)"
echo "$SECTION"
RESULTS="$ROOT/bench/RESULTS.md"
python3 - "$RESULTS" "$SECTION" <<'PY'
import os, re, sys
path, section = sys.argv[1], sys.argv[2].rstrip() + "\n"
text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
pattern = re.compile(r"^## ingress\n.*?(?=^## |\Z)", re.S | re.M)
text = pattern.sub(lambda m: section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
