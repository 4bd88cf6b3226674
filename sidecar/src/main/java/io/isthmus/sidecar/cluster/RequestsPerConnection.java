package io.isthmus.sidecar.cluster;

import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code max_requests_per_connection} limit of a cluster: counts the requests each pooled
 * upstream connection carries and retires the connection with its last one. An HTTP/1.1 request
 * that reaches the limit is sent with {@code Connection: close}, so the pool closes the connection
 * when its response ends instead of reusing it; an HTTP/2 connection is shut down gracefully
 * (GOAWAY, its streams in flight finish) once the response of its last request has arrived.
 */
final class RequestsPerConnection {

    private final int max;
    private final Map<HttpConnection, AtomicInteger> counts = new ConcurrentHashMap<>();

    RequestsPerConnection(int max) {
        if (max <= 0) {
            throw new IllegalArgumentException("max must be positive");
        }
        this.max = max;
    }

    /** Counts a request about to be sent on its connection; the last one allowed retires the connection. */
    void onRequest(HttpClientRequest request) {
        HttpConnection connection = request.connection();
        if (connection == null) {
            return;
        }
        AtomicInteger count = counts.computeIfAbsent(connection, c -> {
            c.closeHandler(v -> counts.remove(c));
            return new AtomicInteger();
        });
        if (count.incrementAndGet() < max) {
            return;
        }
        counts.remove(connection);
        if (request.version() == HttpVersion.HTTP_2) {
            request.response().onComplete(ar -> connection.shutdown());
        } else {
            request.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
    }

    /** Connections being counted now (they have carried at least one request and are still open). */
    int tracked() {
        return counts.size();
    }
}
