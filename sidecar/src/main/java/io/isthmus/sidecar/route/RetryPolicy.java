package io.isthmus.sidecar.route;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * When and how a request is retried (Envoy's route {@code RetryPolicy}).
 *
 * @param retryOn the conditions that allow a retry
 * @param retriableStatusCodes statuses retried under {@link RetryOn#RETRIABLE_STATUS_CODES}
 * @param numRetries retries after the first attempt; Envoy default 1 (also without a retry policy, so that
 *     retries enabled by the {@code x-envoy-retry-on} request header default to one)
 * @param perTryTimeout timeout of one attempt; empty = only the route timeout
 * @param baseInterval backoff base; Envoy default 25 ms; the n-th retry waits a random time in
 *     {@code [0, min(base × 2^n, max))}
 * @param maxInterval backoff cap; default 10 × base
 * @param avoidPreviousHosts the {@code previous_hosts} predicate: a retry does not go to an
 *     endpoint already tried when another is available
 * @param hostSelectionAttempts how often a host pick is repeated to avoid previous hosts; default 1
 */
public record RetryPolicy(Set<RetryOn> retryOn, Set<Integer> retriableStatusCodes, int numRetries,
                          Optional<Duration> perTryTimeout, Duration baseInterval, Duration maxInterval,
                          boolean avoidPreviousHosts, int hostSelectionAttempts) {

    public RetryPolicy {
        retryOn = Set.copyOf(retryOn);
        retriableStatusCodes = Set.copyOf(retriableStatusCodes);
        Objects.requireNonNull(perTryTimeout, "perTryTimeout");
        Objects.requireNonNull(baseInterval, "baseInterval");
        Objects.requireNonNull(maxInterval, "maxInterval");
        if (numRetries < 0) {
            throw new IllegalArgumentException("numRetries must be >= 0");
        }
        if (baseInterval.isNegative() || baseInterval.isZero() || maxInterval.compareTo(baseInterval) < 0) {
            throw new IllegalArgumentException("backoff intervals must be positive and max >= base");
        }
    }

    /**
     * The policy of a route without one: no condition, so no retry, but Envoy's defaults otherwise (one retry
     * once a request header names conditions, 25 ms backoff base).
     */
    public static final RetryPolicy NONE = new RetryPolicy(Set.of(), Set.of(), 1, Optional.empty(),
            Duration.ofMillis(25), Duration.ofMillis(250), false, 1);

    /** True when a failed attempt may be retried at all: some condition is set and at least one retry allowed. */
    public boolean enabled() {
        return !retryOn.isEmpty() && numRetries > 0;
    }

    /**
     * This policy with other conditions, status codes, number of retries and per-try timeout (what the
     * {@code x-envoy-*} request headers change); backoff and host predicate stay.
     */
    public RetryPolicy with(Set<RetryOn> on, Set<Integer> codes, int retries, Optional<Duration> perTry) {
        return new RetryPolicy(on, codes, retries, perTry, baseInterval, maxInterval, avoidPreviousHosts,
                hostSelectionAttempts);
    }

    /** The conditions of {@code retry_on}. */
    public enum RetryOn {
        SERVER_ERROR("5xx"), GATEWAY_ERROR("gateway-error"), RESET("reset"), CONNECT_FAILURE("connect-failure"),
        RETRIABLE_4XX("retriable-4xx"), REFUSED_STREAM("refused-stream"),
        RETRIABLE_STATUS_CODES("retriable-status-codes"), RESET_BEFORE_REQUEST("reset-before-request"),
        GRPC_CANCELLED("cancelled"), GRPC_DEADLINE_EXCEEDED("deadline-exceeded"), GRPC_INTERNAL("internal"),
        GRPC_RESOURCE_EXHAUSTED("resource-exhausted"), GRPC_UNAVAILABLE("unavailable");

        private final String token;

        RetryOn(String token) {
            this.token = token;
        }

        /** The token as spelled in {@code retry_on}. */
        public String token() {
            return token;
        }

        /** True for the gRPC conditions (checked on {@code grpc-status}). */
        public boolean grpc() {
            return ordinal() >= GRPC_CANCELLED.ordinal();
        }

        /** The condition spelled by a token, or empty. */
        public static Optional<RetryOn> of(String token) {
            for (RetryOn r : values()) {
                if (r.token.equals(token)) {
                    return Optional.of(r);
                }
            }
            return Optional.empty();
        }
    }

    /** True when an attempt that failed locally (connect failure, reset, timeout) may be retried. */
    public boolean retriesLocalFailure(boolean connectFailure) {
        if (retryOn.contains(RetryOn.SERVER_ERROR) || retryOn.contains(RetryOn.GATEWAY_ERROR)
                || retryOn.contains(RetryOn.RESET)) {
            return true;
        }
        return connectFailure && (retryOn.contains(RetryOn.CONNECT_FAILURE)
                || retryOn.contains(RetryOn.RESET_BEFORE_REQUEST) || retryOn.contains(RetryOn.REFUSED_STREAM));
    }

    /** True when an attempt timed out (per-try timeout) may be retried. */
    public boolean retriesTimeout() {
        return retryOn.contains(RetryOn.SERVER_ERROR) || retryOn.contains(RetryOn.GATEWAY_ERROR);
    }

    /** HTTP statuses boxed once: looking one up in {@link #retriableStatusCodes} then allocates nothing. */
    private static final Integer[] STATUSES = new Integer[1000];

    static {
        for (int i = 0; i < STATUSES.length; i++) {
            STATUSES[i] = i;
        }
    }

    private static Integer boxed(int status) {
        return status >= 0 && status < STATUSES.length ? STATUSES[status] : Integer.valueOf(status);
    }

    /** True when a response with this status (and gRPC status, or -1) may be retried. */
    public boolean retriesResponse(int status, int grpcStatus) {
        if (status >= 500 && retryOn.contains(RetryOn.SERVER_ERROR)) {
            return true;
        }
        if ((status == 502 || status == 503 || status == 504) && retryOn.contains(RetryOn.GATEWAY_ERROR)) {
            return true;
        }
        if (status == 409 && retryOn.contains(RetryOn.RETRIABLE_4XX)) {
            return true;
        }
        if (retryOn.contains(RetryOn.RETRIABLE_STATUS_CODES) && retriableStatusCodes.contains(boxed(status))) {
            return true;
        }
        return switch (grpcStatus) {
            case 1 -> retryOn.contains(RetryOn.GRPC_CANCELLED);
            case 4 -> retryOn.contains(RetryOn.GRPC_DEADLINE_EXCEEDED);
            case 8 -> retryOn.contains(RetryOn.GRPC_RESOURCE_EXHAUSTED);
            case 13 -> retryOn.contains(RetryOn.GRPC_INTERNAL);
            case 14 -> retryOn.contains(RetryOn.GRPC_UNAVAILABLE);
            default -> false;
        };
    }
}
