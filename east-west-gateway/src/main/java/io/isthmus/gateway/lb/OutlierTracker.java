package io.isthmus.gateway.lb;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Outlier detection for connect failures: an endpoint that refuses or times out a connection is
 * ejected for {@code baseEjection × consecutive ejections} (capped at {@code maxEjection}); a
 * successful connection clears its record. Keyed by address, so it survives EDS updates. Safe for
 * concurrent use from every event loop.
 */
public final class OutlierTracker {

    private static final int MAX_TRACKED = 65_536;

    private final long baseEjectionNanos;
    private final long maxEjectionNanos;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<InetSocketAddress, Ejection> ejections = new ConcurrentHashMap<>();

    private record Ejection(int count, long untilNanos) {
    }

    /**
     * @param baseEjection how long a first ejection lasts (Envoy's {@code base_ejection_time}, default 30 s)
     * @param maxEjection the longest ejection (default 300 s)
     * @param nanoClock monotonic time source, {@code System::nanoTime} outside tests
     */
    public OutlierTracker(Duration baseEjection, Duration maxEjection, LongSupplier nanoClock) {
        this.baseEjectionNanos = baseEjection.toNanos();
        this.maxEjectionNanos = maxEjection.toNanos();
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        if (baseEjectionNanos <= 0 || maxEjectionNanos < baseEjectionNanos) {
            throw new IllegalArgumentException("need 0 < baseEjection <= maxEjection, got " + baseEjection + " " + maxEjection);
        }
    }

    /** Records a refused or timed-out connection: ejects the endpoint. */
    public void connectFailed(InetSocketAddress address) {
        if (ejections.size() >= MAX_TRACKED) {
            ejections.clear();
        }
        long now = nanoClock.getAsLong();
        ejections.compute(address, (a, e) -> {
            int count = e == null ? 1 : e.count() + 1;
            long duration = Math.min(maxEjectionNanos, baseEjectionNanos * count);
            return new Ejection(count, now + duration);
        });
    }

    /** Records a successful connection: forgets earlier failures. */
    public void connectSucceeded(InetSocketAddress address) {
        if (!ejections.isEmpty()) {
            ejections.remove(address);
        }
    }

    /** True while the endpoint is ejected. */
    public boolean ejected(InetSocketAddress address) {
        Ejection e = ejections.get(address);
        return e != null && e.untilNanos() - nanoClock.getAsLong() > 0;
    }

    /** How many endpoints are ejected now. */
    public int ejectedCount() {
        long now = nanoClock.getAsLong();
        return (int) ejections.values().stream().filter(e -> e.untilNanos() - now > 0).count();
    }
}
