package io.isthmus.sidecar.filter;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Envoy's {@code envoy.filters.network.connection_limit} on one filter chain: connections beyond
 * {@code maxConnections} open at once are closed at accept. The open-connection count belongs to the
 * instance and is not part of its equality, so an unchanged limit re-sent by the control plane keeps
 * counting the connections already open. Thread-safe.
 *
 * @param statPrefix its stat prefix
 * @param maxConnections connections allowed open at once, at least 1
 * @param open the connections open now (shared by every event loop)
 */
public record ConnectionLimit(String statPrefix, long maxConnections, AtomicInteger open) {

    public ConnectionLimit {
        Objects.requireNonNull(statPrefix, "statPrefix");
        Objects.requireNonNull(open, "open");
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be >= 1");
        }
    }

    /** A limit with no connection open yet. */
    public static ConnectionLimit of(String statPrefix, long maxConnections) {
        return new ConnectionLimit(statPrefix, maxConnections, new AtomicInteger());
    }

    /** Counts a new connection; false (and not counted) when the limit is reached. */
    public boolean tryAcquire() {
        while (true) {
            int n = open.get();
            if (n >= maxConnections) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Uncounts a connection that {@link #tryAcquire} admitted. */
    public void release() {
        open.decrementAndGet();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConnectionLimit c && c.statPrefix.equals(statPrefix) && c.maxConnections == maxConnections;
    }

    @Override
    public int hashCode() {
        return Objects.hash(statPrefix, maxConnections);
    }
}
