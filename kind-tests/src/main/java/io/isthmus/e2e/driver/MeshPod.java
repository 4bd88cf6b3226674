package io.isthmus.e2e.driver;

import io.isthmus.e2e.demo.ControlServer;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.local.PodHandle;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A running demo pod as a scenario drives it: everything goes through the pod's control port
 * ({@code io.isthmus.e2e.demo.ControlServer}), so the calls and the steady load are made from
 * inside the pod, resolved and routed exactly as the app's own. An implementation supplies only
 * the transport ({@link #control}); the defaults speak the control port's HTTP API.
 */
public interface MeshPod {
    /** The JSON reader of the control port's answers. */
    ObjectMapper JSON = new ObjectMapper();

    /** The pod's name. */
    String name();

    /** Its cluster. */
    String cluster();

    /** Its zone ({@code topology.kubernetes.io/zone} of its node). */
    String zone();

    /** Its pod IP. */
    String address();

    /** Whether a sidecar runs in the pod (its admin and health ports answer); an app outside the mesh has none. */
    boolean hasSidecar();

    /** GET a control path ({@code /call?url=...}) and return the body; throws with the pod's name when it fails. */
    String control(String pathAndQuery, Duration timeout);

    /** GET {@code url} from inside the pod, by the app's own client. */
    default PodHandle.CallResult call(String url) {
        JsonNode n = JSON.readTree(control("/call?url=" + enc(url) + "&timeoutMs=5000", Duration.ofSeconds(10)));
        return new PodHandle.CallResult(n.get("status").asInt(), n.get("body").asString(), n.get("latencyMicros").asLong(),
                n.get("error").asString());
    }

    /** GET {@code url} from inside the pod, by the app's own client, with the Host header {@code host}. */
    default PodHandle.CallResult call(String url, String host) {
        JsonNode n = JSON.readTree(control("/call?url=" + enc(url) + "&host=" + enc(host) + "&timeoutMs=5000", Duration.ofSeconds(10)));
        return new PodHandle.CallResult(n.get("status").asInt(), n.get("body").asString(), n.get("latencyMicros").asLong(),
                n.get("error").asString());
    }

    /** What one request made by {@link #request} got: status, body, response headers (lower-case names). */
    record Requested(int status, String body, java.util.Map<String, String> headers, String error) {
        /** A response header, or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** One request of {@code method} with {@code headers} (no body) from inside the pod, by the app's own client. */
    default Requested request(String method, String url, java.util.Map<String, String> headers) {
        StringBuilder h = new StringBuilder();
        headers.forEach((k, v) -> h.append(h.length() == 0 ? "" : "|").append(k).append(':').append(v));
        JsonNode n = JSON.readTree(control("/request?method=" + enc(method) + "&url=" + enc(url) + "&headers=" + enc(h.toString())
                + "&timeoutMs=5000", Duration.ofSeconds(10)));
        java.util.Map<String, String> got = new java.util.TreeMap<>();
        n.get("headers").properties().forEach(e -> got.put(e.getKey(), e.getValue().asString()));
        return new Requested(n.get("status").asInt(), n.get("body").asString(), got, n.get("error").asString());
    }

    /** GET {@code url} from inside the pod on a new connection. */
    default PodHandle.Fetched fetch(String url) {
        return fetch(url, false);
    }

    /** GET {@code url} from inside the pod on a new connection, presenting the app's client certificate when asked. */
    default PodHandle.Fetched fetch(String url, boolean withClientCert) {
        JsonNode n = JSON.readTree(control("/call?fresh=1" + (withClientCert ? "&clientCert=1" : "") + "&url=" + enc(url)
                + "&timeoutMs=5000", Duration.ofSeconds(10)));
        return new PodHandle.Fetched(n.get("status").asInt(), n.get("body").asString(), n.path("location").asString(""),
                n.path("peer").asString(""), n.get("error").asString());
    }

    /** Makes the app answer {@code code} (0 heals) after {@code delay}. */
    default void fault(int code, Duration delay) {
        control("/fault?code=" + code + "&delayMs=" + delay.toMillis(), Duration.ofSeconds(5));
    }

    /** Starts steady load named {@code name}: one GET of {@code url} every {@code interval}. */
    default void startLoad(String name, String url, Duration interval) {
        control("/load/start?name=" + enc(name) + "&url=" + enc(url) + "&intervalMs=" + interval.toMillis(), Duration.ofSeconds(5));
    }

    /** Starts steady load named {@code name}: one GET of {@code url} with the Host header {@code host} every {@code interval}. */
    default void startLoad(String name, String url, String host, Duration interval) {
        control("/load/start?name=" + enc(name) + "&url=" + enc(url) + "&host=" + enc(host) + "&intervalMs=" + interval.toMillis(),
                Duration.ofSeconds(5));
    }

    /** Starts steady load with a new connection per request (each sample records the server certificate). */
    default void startFreshLoad(String name, String url, Duration interval) {
        control("/load/start?fresh=1&name=" + enc(name) + "&url=" + enc(url) + "&intervalMs=" + interval.toMillis(),
                Duration.ofSeconds(5));
    }

    /** What the load saw so far. */
    default LoadReport loadStats(String name) {
        return LoadReport.parse(control("/load/stats?name=" + enc(name), Duration.ofSeconds(10)));
    }

    /** Stops the load and returns everything it saw. */
    default LoadReport stopLoad(String name) {
        return LoadReport.parse(control("/load/stop?name=" + enc(name), Duration.ofSeconds(15)));
    }

    /** Unary gRPC {@code isthmus.demo.v1.Demo/Hello} to {@code target} ({@code host:port}) from inside the pod, by the app's gRPC client. */
    default PodHandle.GrpcCall callGrpc(String target) {
        return PodHandle.GrpcCall.parse(control("/grpc/hello?target=" + enc(target) + "&timeoutMs=5000", Duration.ofSeconds(10)));
    }

    /** The server stream {@code Watch}: {@code count} answers {@code interval} apart, then the status and trailers. */
    default PodHandle.GrpcCall watchGrpc(String target, int count, Duration interval) {
        return PodHandle.GrpcCall.parse(control("/grpc/watch?target=" + enc(target) + "&count=" + count + "&intervalMs="
                + interval.toMillis() + "&timeoutMs=10000", Duration.ofSeconds(15)));
    }

    /**
     * Starts steady gRPC load named {@code name}: one unary {@code Hello} to {@code target} every
     * {@code interval}, counted as HTTP load is (200 = OK; the HTTP counterpart of the gRPC status
     * when an answer came, e.g. 503 for UNAVAILABLE; 0 = no answer); read it with {@link #loadStats}.
     */
    default void startGrpcLoad(String name, String target, Duration interval) {
        control("/load/start?name=" + enc(name) + "&url=" + enc(ControlServer.GRPC_SCHEME + target) + "&intervalMs="
                + interval.toMillis(), Duration.ofSeconds(5));
    }

    /**
     * What a TLS probe from inside the pod saw: whether TCP connected (so a failure after it is the
     * server's), whether a status line came back, and the failure if not.
     */
    record TlsProbeResult(boolean connected, boolean answered, String statusLine, String error) {
    }

    /**
     * A TLS handshake from inside the pod to {@code target} ({@code host:port}, SNI {@code sni}, none
     * when empty; the JDK client cannot send names with '_')
     * presenting {@code certPem}/{@code keyPem} (PKCS#8 or SEC1), then {@code GET /}: whether that
     * server accepts this client certificate.
     */
    default TlsProbeResult tlsProbe(String target, String sni, String certPem, String keyPem) {
        JsonNode n = JSON.readTree(control("/tls-probe?target=" + enc(target) + "&sni=" + enc(sni) + "&certPem=" + enc(certPem)
                + "&keyPem=" + enc(keyPem) + "&timeoutMs=5000", Duration.ofSeconds(15)));
        return new TlsProbeResult(n.get("connected").asBoolean(), n.get("answered").asBoolean(), n.get("statusLine").asString(),
                n.get("error").asString());
    }

    /** Whether the control port answers. */
    default boolean healthy() {
        try {
            return "ok".equals(control("/health", Duration.ofSeconds(2)));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** URL-encodes a query value. */
    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
