package io.isthmus.e2e.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The app's own HTTP client: calls a URL as the app would, resolving its hostname through the
 * pod's resolver (the sidecar's DNS proxy) and connecting wherever that points (the sidecar's
 * outbound listener). Keeps connections alive, as applications do.
 */
public final class Caller {
    static {
        // lets a call name its Host (an app calling a ClusterIP with the service's Host, as curl -H does)
        if (System.getProperty("jdk.httpclient.allowRestrictedHeaders") == null) {
            // and its Origin (a browser's CORS requests)
            System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host,origin");
        }
    }

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    /**
     * The outcome of one call: status 0 when no response arrived (then {@code error} says why);
     * {@code location} is the Location header (redirects), {@code peer} the SHA-256 fingerprint
     * of the server certificate when the call was made over TLS by {@link FreshCaller}, else empty.
     */
    public record Result(int status, String body, long latencyMicros, String error, String location, String peer) {
        public Result {
            location = location == null ? "" : location;
            peer = peer == null ? "" : peer;
        }

        /** A result without location or peer certificate. */
        public Result(int status, String body, long latencyMicros, String error) {
            this(status, body, latencyMicros, error, "", "");
        }
    }

    /**
     * The outcome of one request of any method: its status (0 when no response arrived, then {@code error} says why),
     * body and response headers (lower-case names, values of a repeated header joined by {@code ", "}).
     */
    public record Exchange(int status, String body, java.util.Map<String, String> headers, String error) {
    }

    /** One request with {@code method}, the request headers {@code headers} and no body. */
    public Exchange request(String method, String url, java.util.Map<String, String> headers, Duration timeout) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                    .method(method, HttpRequest.BodyPublishers.noBody());
            headers.forEach(b::header);
            HttpResponse<String> resp = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            java.util.Map<String, String> out = new java.util.TreeMap<>();
            resp.headers().map().forEach((k, v) -> out.put(k.toLowerCase(java.util.Locale.ROOT), String.join(", ", v)));
            return new Exchange(resp.statusCode(), resp.body(), out, "");
        } catch (IOException | IllegalArgumentException e) {
            return new Exchange(0, "", java.util.Map.of(), e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Exchange(0, "", java.util.Map.of(), "interrupted");
        }
    }

    /** One GET with a timeout. */
    public Result get(String url, Duration timeout) {
        return get(url, timeout, "");
    }

    /** One GET with a timeout and the Host header {@code host} (empty: the URL's authority). */
    public Result get(String url, Duration timeout, String host) {
        long start = System.nanoTime();
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET();
            if (host != null && !host.isEmpty()) {
                b.header("Host", host);
            }
            HttpRequest req = b.build();
            HttpResponse<String> resp = client.send(req, HttpResponse.BodyHandlers.ofString());
            return new Result(resp.statusCode(), resp.body(), (System.nanoTime() - start) / 1000, "");
        } catch (IOException | IllegalArgumentException e) {
            return new Result(0, "", (System.nanoTime() - start) / 1000, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(0, "", (System.nanoTime() - start) / 1000, "interrupted");
        }
    }
}
