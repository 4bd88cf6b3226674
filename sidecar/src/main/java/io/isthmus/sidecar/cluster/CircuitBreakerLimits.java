package io.isthmus.sidecar.cluster;

/**
 * The default-priority circuit-breaker thresholds of a cluster.
 *
 * @param maxConnections connections per endpoint pool; default 1024
 * @param maxPendingRequests requests waiting for a connection; default 1024
 * @param maxRequests concurrent requests to the cluster; default 1024
 * @param maxRetries concurrent retries to the cluster; default unbounded (Istio's default)
 * @param retryBudgetPercent when >= 0, concurrent retries may be at most this percent of active
 *     requests (Envoy's {@code retry_budget}); -1 when no budget is configured
 * @param minRetryConcurrency retries always allowed under a budget; default 3
 */
public record CircuitBreakerLimits(int maxConnections, int maxPendingRequests, int maxRequests, int maxRetries,
                                   double retryBudgetPercent, int minRetryConcurrency) {

    /** Envoy's defaults, with Istio's unbounded retries. */
    public static final CircuitBreakerLimits DEFAULTS =
            new CircuitBreakerLimits(1024, 1024, 1024, Integer.MAX_VALUE, -1, 3);

    public CircuitBreakerLimits {
        if (maxConnections < 1 || maxPendingRequests < 0 || maxRequests < 1 || maxRetries < 0 || minRetryConcurrency < 0) {
            throw new IllegalArgumentException("circuit breaker thresholds out of range");
        }
        if (retryBudgetPercent > 100) {
            throw new IllegalArgumentException("retry budget must be <= 100 percent");
        }
    }

    /** True when one more retry is allowed with these many retries and requests active. */
    public boolean retryAllowed(int activeRetries, int activeRequests) {
        if (activeRetries >= maxRetries) {
            return false;
        }
        if (retryBudgetPercent < 0) {
            return true;
        }
        double budget = Math.max(minRetryConcurrency, retryBudgetPercent / 100.0 * activeRequests);
        return activeRetries < budget;
    }
}
