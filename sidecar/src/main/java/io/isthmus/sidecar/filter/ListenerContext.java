package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.telemetry.ProxyTelemetry;
import io.vertx.core.Vertx;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * What a listener's filters need besides their own config: the Vert.x instance, the clusters and
 * routes in force, telemetry, this proxy's SPIFFE ID and a random source.
 *
 * @param listener the listener name
 * @param direction inbound or outbound
 * @param vertx the Vert.x instance (timers)
 * @param directory routes and clusters in force
 * @param telemetry metrics and access log
 * @param ownSpiffeId this proxy's current SPIFFE ID (empty before the first certificate)
 * @param random for weighted routes, fault injection, mirroring and backoff jitter
 * @param maxBufferedBody largest request body buffered for retries, in bytes; larger bodies stream
 *     without retries
 */
public record ListenerContext(String listener, Direction direction, Vertx vertx, UpstreamDirectory directory,
                              ProxyTelemetry telemetry, Supplier<String> ownSpiffeId, RandomGenerator random,
                              int maxBufferedBody) {
    public ListenerContext {
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(vertx, "vertx");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(telemetry, "telemetry");
        Objects.requireNonNull(ownSpiffeId, "ownSpiffeId");
        Objects.requireNonNull(random, "random");
        if (maxBufferedBody < 0) {
            throw new IllegalArgumentException("maxBufferedBody must be >= 0");
        }
    }
}
