package io.isthmus.sidecar.endpoint;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live state of one upstream endpoint, kept across EDS updates for as long as the endpoint's
 * address stays in the cluster: active requests, consecutive-error counters and outlier ejection.
 * Shared by all event loops: counters are atomic and ejection changes are synchronized.
 */
public final class EndpointState {

    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private int consecutive5xx;
    private int consecutiveGateway;
    private int ejections;
    private volatile long ejectedUntilNanos = Long.MIN_VALUE;
    private long lastEjectionEndNanos = Long.MIN_VALUE;

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
     * Records the outcome of one request for outlier detection.
     *
     * @param outcome what happened
     * @return the consecutive counters reached, for the detector to decide on ejection
     */
    synchronized int[] record(Outcome outcome) {
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
        return new int[] {consecutive5xx, consecutiveGateway};
    }

    /** Ejects until {@code now + base × count} (capped), after letting the multiplier decay. */
    synchronized void eject(long nowNanos, OutlierConfig config) {
        if (ejected(nowNanos)) {
            return;
        }
        if (lastEjectionEndNanos != Long.MIN_VALUE) {
            long healthyFor = nowNanos - lastEjectionEndNanos;
            long decay = Math.max(0, healthyFor / config.interval().toNanos());
            ejections = (int) Math.max(0, ejections - decay);
        }
        ejections++;
        long duration = Math.min(config.baseEjectionTime().toNanos() * ejections, Math.max(
                config.maxEjectionTime().toNanos(), config.baseEjectionTime().toNanos()));
        ejectedUntilNanos = nowNanos + duration;
        lastEjectionEndNanos = ejectedUntilNanos;
        consecutive5xx = 0;
        consecutiveGateway = 0;
    }

    /** Ejects now as outlier detection would (for tests and operators). */
    public void ejectForTest(OutlierConfig config) {
        eject(0, config);
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
