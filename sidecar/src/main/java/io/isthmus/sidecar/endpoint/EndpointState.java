package io.isthmus.sidecar.endpoint;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live state of one upstream endpoint, kept across EDS updates for as long as the endpoint's
 * address stays in the cluster: active requests, consecutive-error counters, the success counts of
 * the current and the last outlier-detection interval, and outlier ejection.
 * Shared by all event loops: counters are atomic and ejection changes are synchronized.
 */
public final class EndpointState {

    private static final int SUCCESSES = 0;
    private static final int TOTAL = 1;
    private static final int PREVIOUS_SUCCESSES = 2;
    private static final int PREVIOUS_TOTAL = 3;

    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private int consecutive5xx;
    private int consecutiveGateway;
    private int consecutiveLocal;
    private int ejections;
    private volatile long ejectedUntilNanos = Long.MIN_VALUE;
    private long lastEjectionEndNanos = Long.MIN_VALUE;
    private final long[] external = new long[4];
    private final long[] localOrigin = new long[4];

    /** Requests in flight to this endpoint. */
    public int activeRequests() {
        return active.get();
    }

    /** Requests sent to this endpoint since it appeared. */
    public long totalRequests() {
        return total.get();
    }

    /** Failed requests (5xx or local failure) since it appeared. */
    public long failedRequests() {
        return failures.get();
    }

    /** Counts a request start. */
    public void requestStarted() {
        active.incrementAndGet();
        total.incrementAndGet();
    }

    /** Counts a request end. */
    public void requestEnded() {
        active.decrementAndGet();
    }

    /** True while ejected by outlier detection. */
    public boolean ejected(long nowNanos) {
        long until = ejectedUntilNanos;
        return until != Long.MIN_VALUE && nowNanos - until < 0;
    }

    /** How many times this endpoint was ejected (decays by one per detection interval healthy). */
    public synchronized int ejectionCount() {
        return ejections;
    }

    /**
     * Records the outcome of one request for outlier detection: the consecutive-error counters and
     * the success counts of the current interval. Without the split, a local failure counts as the
     * gateway error Envoy maps it to (503 or 504); with it, local failures have their own counter and
     * success rate, and every response counts as a local-origin success (the connection worked).
     *
     * @param outcome what happened
     * @param split {@code split_external_local_origin_errors}
     * @return the consecutive counters reached: 5xx, gateway failure, local origin failure
     */
    synchronized int[] record(Outcome outcome, boolean split) {
        if (outcome == Outcome.LOCAL_FAILURE && split) {
            failures.incrementAndGet();
            count(localOrigin, false);
            consecutiveLocal++;
            return new int[] {consecutive5xx, consecutiveGateway, consecutiveLocal};
        }
        if (split) {
            count(localOrigin, true);
            consecutiveLocal = 0;
        }
        count(external, outcome == Outcome.SUCCESS);
        switch (outcome) {
            case SUCCESS -> {
                consecutive5xx = 0;
                consecutiveGateway = 0;
            }
            case SERVER_ERROR -> {
                failures.incrementAndGet();
                consecutive5xx++;
                consecutiveGateway = 0;
            }
            case GATEWAY_ERROR, LOCAL_FAILURE -> {
                failures.incrementAndGet();
                consecutive5xx++;
                consecutiveGateway++;
            }
        }
        return new int[] {consecutive5xx, consecutiveGateway, consecutiveLocal};
    }

    private static void count(long[] buckets, boolean success) {
        buckets[TOTAL]++;
        if (success) {
            buckets[SUCCESSES]++;
        }
    }

    /** Resets one consecutive counter (0 = 5xx, 1 = gateway failure, 2 = local origin) after a detection. */
    synchronized void resetConsecutive(int counter) {
        switch (counter) {
            case 0 -> consecutive5xx = 0;
            case 1 -> consecutiveGateway = 0;
            default -> consecutiveLocal = 0;
        }
    }

    /** Ends the current success-rate interval: its counts become the ones {@link #lastInterval} reads. */
    synchronized void rollInterval() {
        for (long[] b : new long[][] {external, localOrigin}) {
            b[PREVIOUS_SUCCESSES] = b[SUCCESSES];
            b[PREVIOUS_TOTAL] = b[TOTAL];
            b[SUCCESSES] = 0;
            b[TOTAL] = 0;
        }
    }

    /**
     * The requests of the last complete interval.
     *
     * @param local the local-origin counts (connections) instead of the external ones (responses)
     * @return {successes, total}
     */
    synchronized long[] lastInterval(boolean local) {
        long[] b = local ? localOrigin : external;
        return new long[] {b[PREVIOUS_SUCCESSES], b[PREVIOUS_TOTAL]};
    }

    /**
     * Ejects until {@code now + min(base × count, max) + jitter}, after letting the multiplier decay
     * by one per interval spent in rotation since the last ejection ended. As in Envoy, the
     * multiplier stops growing once {@code base × count} passes {@code max + base}.
     */
    synchronized void eject(long nowNanos, OutlierConfig config, long jitterNanos) {
        if (ejected(nowNanos)) {
            return;
        }
        if (lastEjectionEndNanos != Long.MIN_VALUE) {
            long healthyFor = nowNanos - lastEjectionEndNanos;
            long decay = Math.max(0, healthyFor / config.interval().toNanos());
            ejections = (int) Math.max(0, ejections - decay);
        }
        long base = config.baseEjectionTime().toNanos();
        long max = config.maxEjectionTime().toNanos();
        if ((double) ejections * base < (double) max + base) {
            ejections++;
        }
        long duration = Math.min(base * ejections, max) + Math.max(0, jitterNanos);
        ejectedUntilNanos = nowNanos + duration;
        lastEjectionEndNanos = ejectedUntilNanos;
        consecutive5xx = 0;
        consecutiveGateway = 0;
        consecutiveLocal = 0;
    }

    /** Ejects now as outlier detection would (for tests and operators). */
    public void ejectForTest(OutlierConfig config) {
        eject(0, config, 0);
    }

    /** Ends an ejection at once (used when the control plane marks an endpoint healthy again). */
    synchronized void uneject() {
        ejectedUntilNanos = Long.MIN_VALUE;
    }

    /** The outcome classes outlier detection distinguishes. */
    public enum Outcome {
        /** Any response below 500. */
        SUCCESS,
        /** A 5xx response other than 502/503/504. */
        SERVER_ERROR,
        /** A 502, 503 or 504 response. */
        GATEWAY_ERROR,
        /** Connect failure, reset or timeout of the attempt. */
        LOCAL_FAILURE
    }
}
