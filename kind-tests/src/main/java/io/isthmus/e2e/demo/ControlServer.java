package io.isthmus.e2e.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * The pod's control port (plain HTTP, the test driver's {@code kubectl exec}): everything here
 * runs inside the pod, so calls made through it resolve and route exactly as the app's own.
 * <ul>
 *   <li>{@code /health}: 200 once the app serves</li>
 *   <li>{@code /call?url=U}: GET U with the app's client; JSON {@code status, latencyMicros, error, body,
 *       location, peer}; {@code &fresh=1}: on a new connection (HTTPS verified against {@code --trust-pem};
 *       {@code &clientCert=1} also presents {@code --client-cert}),
 *       {@code peer} = the server certificate's SHA-256 fingerprint; {@code &host=H}: with Host {@code H}
 *       (e.g. a ClusterIP URL with the service's Host, as {@code curl -H} sends it)</li>
 *   <li>{@code /request?url=U&method=M[&headers=N1:V1|N2:V2]}: one request of method {@code M} without a body, with
 *       those request headers; JSON {@code status, body, headers, error} with every response header (e.g. a CORS
 *       preflight and the {@code access-control-*} headers of its answer)</li>
 *   <li>{@code /grpc/hello?target=H:P[&name=x]}: unary {@code isthmus.demo.v1.Demo/Hello} to {@code H:P}
 *       with the app's gRPC client; {@code /grpc/watch?target=H:P&count=N[&intervalMs=0]}: the
 *       server stream {@code Watch}. JSON {@code code, status, message, responded, latencyMicros,
 *       trailers, replies} ({@link GrpcCaller.Result#json()}); both take {@code &timeoutMs=5000}</li>
 *   <li>{@code /tls-probe?target=H:P&certPem=PEM&keyPem=PEM[&sni=S]}: a TLS handshake to {@code H:P}
 *       presenting that certificate, then {@code GET /}; JSON {@code answered, statusLine, error}
 *       (e.g. whether a sidecar's inbound port refuses a certificate from a foreign root)</li>
 *   <li>{@code /fault?code=503&delayMs=0[&grpc=UNAVAILABLE]}: make the app fail or slow down
 *       ({@code code=0} heals); gRPC calls fail with {@code grpc} (a name or code) when given, else
 *       with the code's counterpart ({@link Faults#grpcStatus()})</li>
 *   <li>{@code /load/start?name=N&url=U&intervalMs=20[&fresh=1][&host=H]}, {@code /load/stats?name=N}, {@code /load/stop?name=N};
 *       {@code url=grpc://H:P} runs unary gRPC {@code Hello} calls instead (status 200 = OK, the
 *       HTTP counterpart of the gRPC status when an answer came, 0 when none did)</li>
 * </ul>
 */
public final class ControlServer implements AutoCloseable {
    /** The control port on the pod address. */
    public static final int PORT = 15080;
    /** A load URL with this prefix ({@code grpc://host:port}) makes unary gRPC calls. */
    public static final String GRPC_SCHEME = "grpc://";
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    private final HttpServer server;
    private final List<DemoServer> apps;
    private final Caller caller = new Caller();
    private final GrpcCaller grpc = new GrpcCaller();
    private final FreshCaller fresh;
    private final Map<String, LoadGenerator> loads = new ConcurrentHashMap<>();

    private ControlServer(HttpServer server, List<DemoServer> apps, FreshCaller fresh) {
        this.server = server;
        this.apps = List.copyOf(apps);
        this.fresh = fresh;
    }

    /** Starts the control server on {@code address}. */
    public static ControlServer start(InetSocketAddress address, List<DemoServer> apps) {
        return start(address, apps, new FreshCaller(null));
    }

    /** Starts the control server on {@code address}; {@code fresh} makes the new-connection calls. */
    public static ControlServer start(InetSocketAddress address, List<DemoServer> apps, FreshCaller fresh) {
        try {
            HttpServer s = HttpServer.create(address, 64);
            ControlServer c = new ControlServer(s, apps, fresh);
            s.createContext("/", c::handle);
            s.setExecutor(Executors.newFixedThreadPool(8));
            s.start();
            LOG.info("control port open on {}", address);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            String path = ex.getRequestURI().getPath();
            String body;
            int status = 200;
            try {
                body = switch (path) {
                    case "/health" -> "ok";
                    case "/call" -> call(required(q, "url"), q);
                    case "/request" -> request(q);
                    case "/grpc/hello" -> grpc.hello(required(q, "target"), q.getOrDefault("name", ""), timeout(q)).json();
                    case "/grpc/watch" -> grpc.watch(required(q, "target"), intParam(q, "count", 1),
                            Duration.ofMillis(intParam(q, "intervalMs", 0)), timeout(q)).json();
                    case "/tls-probe" -> tlsProbe(q);
                    case "/fault" -> fault(q);
                    case "/load/start" -> loadStart(q);
                    case "/load/stats" -> load(q).statsJson();
                    case "/load/stop" -> loadStop(q);
                    default -> {
                        status = 404;
                        yield "unknown control path " + path;
                    }
                };
            } catch (IllegalArgumentException e) {
                status = 400;
                body = e.getMessage();
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
        }
    }

    private String call(String url, Map<String, String> q) {
        Caller.Result r = fetch(q).get(url, timeout(q));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", r.status());
        m.put("latencyMicros", r.latencyMicros());
        m.put("error", r.error());
        m.put("body", r.body());
        m.put("location", r.location());
        m.put("peer", r.peer());
        return Json.object(m);
    }

    private String request(Map<String, String> q) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h : q.getOrDefault("headers", "").split("\\|")) {
            int colon = h.indexOf(':');
            if (h.isBlank()) {
                continue;
            }
            if (colon <= 0) {
                throw new IllegalArgumentException("headers must be name:value pairs separated by '|': " + h);
            }
            headers.put(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
        }
        Caller.Exchange r = caller.request(required(q, "method"), required(q, "url"), headers, timeout(q));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", r.status());
        m.put("body", r.body());
        m.put("headers", new Json.Raw(Json.object(new LinkedHashMap<>(r.headers()))));
        m.put("error", r.error());
        return Json.object(m);
    }

    private static String tlsProbe(Map<String, String> q) {
        String target = required(q, "target");
        int colon = target.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("target must be host:port: " + target);
        }
        int port;
        try {
            port = Integer.parseInt(target.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("target must be host:port: " + target);
        }
        return TlsProbe.probe(target.substring(0, colon), port, q.getOrDefault("sni", ""), required(q, "certPem"),
                required(q, "keyPem"), timeout(q));
    }

    private static Duration timeout(Map<String, String> q) {
        return Duration.ofMillis(intParam(q, "timeoutMs", 5000));
    }

    private static int intParam(Map<String, String> q, String name, int dflt) {
        String v = q.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("query parameter '" + name + "' is not a number: " + v);
        }
    }

    private LoadGenerator.Fetch fetch(Map<String, String> q) {
        String target = q.getOrDefault("url", "");
        if (target.startsWith(GRPC_SCHEME)) {
            return (u, timeout) -> grpc.helloSample(u.substring(GRPC_SCHEME.length()), timeout);
        }
        if (!"1".equals(q.get("fresh"))) {
            String host = q.getOrDefault("host", "");
            return host.isEmpty() ? caller::get : (url, timeout) -> caller.get(url, timeout, host);
        }
        boolean withCert = "1".equals(q.get("clientCert"));
        return (url, timeout) -> fresh.get(url, timeout, withCert);
    }

    private String fault(Map<String, String> q) {
        String g = q.get("grpc");
        Faults f = new Faults(intParam(q, "code", 0), Duration.ofMillis(intParam(q, "delayMs", 0)),
                g == null || g.isBlank() ? 0 : Faults.parseGrpcCode(g));
        apps.forEach(a -> a.faults(f));
        return "ok";
    }

    private String loadStart(Map<String, String> q) {
        String name = required(q, "name");
        Duration interval = Duration.ofMillis(Long.parseLong(q.getOrDefault("intervalMs", "20")));
        LoadGenerator old = loads.put(name, new LoadGenerator(name, required(q, "url"), interval, fetch(q)));
        if (old != null) {
            old.close();
        }
        return "started";
    }

    private String loadStop(Map<String, String> q) {
        LoadGenerator g = loads.remove(required(q, "name"));
        if (g == null) {
            throw new IllegalArgumentException("no load named " + q.get("name"));
        }
        g.close();
        return g.statsJson();
    }

    private LoadGenerator load(Map<String, String> q) {
        LoadGenerator g = loads.get(required(q, "name"));
        if (g == null) {
            throw new IllegalArgumentException("no load named " + q.get("name"));
        }
        return g;
    }

    private static String required(Map<String, String> q, String name) {
        String v = q.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("query parameter '" + name + "' is required");
        }
        return v;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new HashMap<>();
        if (raw == null) {
            return m;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String k = eq < 0 ? part : part.substring(0, eq);
            String v = eq < 0 ? "" : part.substring(eq + 1);
            m.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return m;
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        loads.values().forEach(LoadGenerator::close);
        grpc.close();
        server.stop(0);
    }
}
