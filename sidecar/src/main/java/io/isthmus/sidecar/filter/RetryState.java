package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.errors.ResponseFlag;
import io.isthmus.sidecar.route.RetryPolicy;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The retry side of one request (Envoy's retry state): which failed attempts its policy retries,
 * how many retries are left and the backoff before the next one. Abandoned for good once the request
 * body outgrows the buffer that would replay it. Confined to the request's event loop.
 */
final class RetryState {

    private final RetryPolicy policy;
    private boolean abandoned;
    private int done;

    RetryState(RetryPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** The policy in force for this request (the route's, as the request headers changed it). */
    RetryPolicy policy() {
        return policy;
    }

    /** No retry from now on: the body passed the buffer limit (Envoy resets its retry state). */
    void abandon() {
        abandoned = true;
    }

    /** True while a failed attempt may still be retried under some condition. */
    boolean enabled() {
        return !abandoned && policy.enabled();
    }

    /** Retries started so far. */
    int done() {
        return done;
    }

    /** True when the policy retries an attempt that failed locally with this flag (and cause). */
    boolean retriesFailure(ResponseFlag flag, Throwable cause) {
        if (abandoned || flag == ResponseFlag.UPSTREAM_OVERFLOW) {
            return false;
        }
        if (flag == ResponseFlag.UPSTREAM_REQUEST_TIMEOUT) {
            return policy.retriesTimeout();
        }
        return policy.retriesLocalFailure(flag == ResponseFlag.UPSTREAM_CONNECTION_FAILURE) || refusedStream(cause);
    }

    /** True when the policy retries a response with this status and gRPC status (or -1). */
    boolean retriesResponse(int status, int grpcStatus) {
        return !abandoned && policy.retriesResponse(status, grpcStatus);
    }

    /** True when every allowed retry has been started. */
    boolean exhausted() {
        return done >= policy.numRetries();
    }

    /**
     * Counts one more retry and returns its backoff in milliseconds: a uniformly random time in
     * [0, min(base × 2ⁿ⁻¹, max)] for the n-th retry.
     */
    long nextBackoff(RandomGenerator random) {
        done++;
        long cap = Math.min(policy.maxInterval().toMillis(),
                policy.baseInterval().toMillis() * (1L << Math.min(20, done - 1)));
        return cap <= 0 ? 0 : random.nextLong(cap + 1);
    }

    /** {@code refused-stream}: the upstream refused the HTTP/2 stream (REFUSED_STREAM) before any processing. */
    private boolean refusedStream(Throwable t) {
        return policy.retryOn().contains(RetryPolicy.RetryOn.REFUSED_STREAM)
                && t instanceof io.vertx.core.http.StreamResetException r && r.getCode() == 7;
    }
}
