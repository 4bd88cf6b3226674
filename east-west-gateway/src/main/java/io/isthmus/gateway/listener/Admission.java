package io.isthmus.gateway.listener;

import io.isthmus.gateway.RefusalReason;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Admission of new connections: a cap on concurrent connections and a token bucket per source IP
 * (rate per second, burst). The bucket map is bounded; when full it is cleared, which only ever
 * lets more through, never blocks a well-behaved source. Safe for concurrent use.
 */
final class Admission {

    private static final int MAX_SOURCES = 100_000;

    private final int maxConnections;
    private final double ratePerNano;
    private final double burst;
    private final LongSupplier nanoClock;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Bucket> buckets = new ConcurrentHashMap<>();

    private static final class Bucket {
        double tokens;
        long lastNanos;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.lastNanos = now;
        }
    }

    Admission(int maxConnections, int perSecond, int burst, LongSupplier nanoClock) {
        this.maxConnections = maxConnections;
        this.ratePerNano = perSecond / 1e9;
        this.burst = burst;
        this.nanoClock = nanoClock;
    }

    /** Admits a connection from {@code source}, or names why not. A null result must be paired with {@link #release()}. */
    RefusalReason admit(InetAddress source) {
        if (!takeToken(source)) {
            return RefusalReason.RATE_LIMITED;
        }
        if (open.incrementAndGet() > maxConnections) {
            open.decrementAndGet();
            return RefusalReason.CONNECTION_LIMIT;
        }
        return null;
    }

    /** Releases an admitted connection. */
    void release() {
        open.decrementAndGet();
    }

    int open() {
        return open.get();
    }

    private boolean takeToken(InetAddress source) {
        if (source == null) {
            return true;
        }
        if (buckets.size() > MAX_SOURCES) {
            buckets.clear();
        }
        long now = nanoClock.getAsLong();
        Bucket b = buckets.computeIfAbsent(source, s -> new Bucket(burst, now));
        synchronized (b) {
            b.tokens = Math.min(burst, b.tokens + (now - b.lastNanos) * ratePerNano);
            b.lastNanos = now;
            if (b.tokens < 1) {
                return false;
            }
            b.tokens -= 1;
            return true;
        }
    }
}
