package io.isthmus.e2e.local;

import io.isthmus.mesh.MeshLabels;

import io.isthmus.e2e.demo.ControlServer;
import io.isthmus.e2e.driver.MeshPod;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The test driver's handle on a running pod, through the pod's control port (its
 * {@code kubectl exec}): calls made from inside the pod, fault injection and steady load.
 */
public final class PodHandle implements MeshPod {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1).build();

    private final PodRecord record;
    private final ChildProcess process;

    PodHandle(PodRecord record, ChildProcess process) {
        this.record = Objects.requireNonNull(record, "record");
        this.process = process;
    }

    /** One call's outcome, seen by the app: status 0 = no response (error says why). */
    public record CallResult(int status, String body, long latencyMicros, String error) {
        /** A field of the JSON body (the demo app's {@code cluster}, {@code caller}...), or empty. */
        public String field(String name) {
            if (body == null || body.isBlank() || !body.trim().startsWith("{")) {
                return "";
            }
            JsonNode n = JSON.readTree(body).get(name);
            return n == null ? "" : n.asString();
        }
    }

    /** The pod as the API server knows it. */
    public PodRecord record() {
        return record;
    }

    /** The pod's name. */
    public String name() {
        return record.name();
    }

    @Override
    public String cluster() {
        return record.cluster();
    }

    @Override
    public String zone() {
        return record.zone();
    }

    @Override
    public String address() {
        return record.address();
    }

    /** Whether a proxy runs in the pod: labelled {@code security.istio.io/tlsMode: istio} when it was started with one. */
    @Override
    public boolean hasSidecar() {
        return MeshLabels.TLS_MODE_ISTIO.equals(record.labels().get(MeshLabels.TLS_MODE));
    }

    /** The pod's process. */
    public ChildProcess process() {
        return process;
    }

    /**
     * One call on a new connection (a new TLS handshake for {@code https}, verified against the
     * app's {@code --trust-pem}); {@code peer} = the server certificate's SHA-256 fingerprint.
     */
    public record Fetched(int status, String body, String location, String peer, String error) {
        /** A field of the JSON body, or empty. */
        public String field(String name) {
            return new CallResult(status, body, 0, error).field(name);
        }
    }

    /**
     * One gRPC call seen by the app: the status name ({@code OK}, {@code UNAVAILABLE}...) and its
     * message, whether an answer came at all ({@code responded}; false = no connection or no
     * answer before the deadline), the replies (each the reply's fields: {@code cluster},
     * {@code pod}, {@code caller}, {@code seq}...) and the trailers.
     */
    public record GrpcCall(String status, String message, boolean responded, List<Map<String, String>> replies,
                           Map<String, String> trailers) {
        public GrpcCall {
            replies = List.copyOf(replies);
            trailers = Map.copyOf(trailers);
        }

        /** Whether the call ended OK. */
        public boolean ok() {
            return "OK".equals(status);
        }

        /** A field of the first reply, or empty. */
        public String field(String name) {
            return replies.isEmpty() ? "" : replies.get(0).getOrDefault(name, "");
        }

        /** Reads the control port's JSON answer of a gRPC call. */
        public static GrpcCall parse(String json) {
            JsonNode n = JSON.readTree(json);
            List<Map<String, String>> replies = new java.util.ArrayList<>();
            for (JsonNode r : n.path("replies")) {
                Map<String, String> m = new java.util.LinkedHashMap<>();
                for (String k : r.propertyNames()) {
                    m.put(k, r.get(k).asString());
                }
                replies.add(m);
            }
            Map<String, String> trailers = new java.util.LinkedHashMap<>();
            for (String k : n.path("trailers").propertyNames()) {
                trailers.put(k, n.get("trailers").get(k).asString());
            }
            return new GrpcCall(n.get("status").asString(), n.path("message").asString(""), n.path("responded").asBoolean(),
                    replies, trailers);
        }
    }

    /** GET a control path; throws with the pod name when it fails. */
    @Override
    public String control(String pathAndQuery, Duration timeout) {
        URI uri = URI.create("http://" + record.address() + ":" + ControlServer.PORT + pathAndQuery);
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("pod " + record.cluster() + "/" + record.name() + " " + pathAndQuery
                        + ": " + r.statusCode() + " " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException("pod " + record.cluster() + "/" + record.name() + " unreachable on its control port: "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public String toString() {
        return record.cluster() + "/" + record.name() + "@" + record.address();
    }
}
