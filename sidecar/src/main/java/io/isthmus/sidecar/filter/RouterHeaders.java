package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.route.RetryPolicy;
import io.isthmus.sidecar.route.RouteEntry;
import io.vertx.core.MultiMap;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The {@code x-envoy-*} request headers that steer the router, read as Envoy's router filter reads
 * them, and the rule that strips them from requests that are not internal (Envoy's connection
 * manager). Envoy's semantics, header by header:
 * <ul>
 * <li>{@code x-envoy-retry-on} (HTTP conditions) and {@code x-envoy-retry-grpc-on} (gRPC conditions)
 * add to the route's {@code retry_on}; unknown tokens are ignored. Without a route retry policy one
 * retry is allowed.</li>
 * <li>{@code x-envoy-max-retries} replaces the number of retries, but only when some condition is
 * in force (from the route or the headers).</li>
 * <li>{@code x-envoy-retriable-status-codes} adds codes for {@code retriable-status-codes}.</li>
 * <li>{@code x-envoy-upstream-rq-timeout-ms} replaces the route timeout; 0 = none.</li>
 * <li>{@code x-envoy-upstream-rq-per-try-timeout-ms} replaces the per-try timeout. A per-try timeout
 * not below the route timeout (when there is one) is ignored, whichever set it.</li>
 * <li>{@code x-envoy-upstream-rq-timeout-alt-response}, whatever its value: a request that times out
 * (route or last per-try timeout) is answered 204 instead of 504.</li>
 * </ul>
 * A value that is not an unsigned decimal number is ignored. The router removes every header it
 * reads (they never reach the upstream). Confined to the request's event loop.
 */
final class RouterHeaders {

    static final String RETRY_ON = "x-envoy-retry-on";
    static final String RETRY_GRPC_ON = "x-envoy-retry-grpc-on";
    static final String MAX_RETRIES = "x-envoy-max-retries";
    static final String RETRIABLE_STATUS_CODES = "x-envoy-retriable-status-codes";
    static final String TIMEOUT_MS = "x-envoy-upstream-rq-timeout-ms";
    static final String PER_TRY_TIMEOUT_MS = "x-envoy-upstream-rq-per-try-timeout-ms";
    /** Present (any value): a timed-out request is answered 204 instead of 504. */
    static final String TIMEOUT_ALT_RESPONSE = "x-envoy-upstream-rq-timeout-alt-response";
    /** Set on internal requests; always removed from what the client sent. */
    static final String INTERNAL = "x-envoy-internal";
    /** Response header: milliseconds from the end of the request to the upstream's response headers. */
    static final String SERVICE_TIME = "x-envoy-upstream-service-time";
    /** Set on upstream requests: the timeout the router gives the request (per try when set, else the route's). */
    static final String EXPECTED_TIMEOUT_MS = "x-envoy-expected-rq-timeout-ms";
    /** Set on upstream requests and responses when the virtual host asks: 1 for the first attempt, 2 for the first retry... */
    static final String ATTEMPT_COUNT = "x-envoy-attempt-count";
    /** The values of {@link #ATTEMPT_COUNT} up to 15, made once: mesh virtual hosts ask for it on every request. */
    private static final String[] COUNTS = java.util.stream.IntStream.range(0, 16).mapToObj(Integer::toString)
            .toArray(String[]::new);

    /** Headers the router consumes besides the above, removed with them (Envoy's retry state does). */
    /** The router's control headers this proxy reads, removed once read. */
    private static final List<String> CONSUMED = List.of(RETRY_ON, RETRY_GRPC_ON, MAX_RETRIES, RETRIABLE_STATUS_CODES,
            TIMEOUT_MS, PER_TRY_TIMEOUT_MS);
    private static final List<String> ALSO_CONSUMED = List.of("x-envoy-hedge-on-per-try-timeout",
            "x-envoy-retriable-header-names");

    /** What Envoy's connection manager removes from every request that is not internal. */
    static final List<String> INTERNAL_ONLY = List.of(RETRIABLE_STATUS_CODES, "x-envoy-retriable-header-names",
            RETRY_ON, RETRY_GRPC_ON, MAX_RETRIES, "x-envoy-upstream-alt-stat-name", TIMEOUT_MS, PER_TRY_TIMEOUT_MS,
            TIMEOUT_ALT_RESPONSE, "x-envoy-expected-rq-timeout-ms", "x-envoy-force-trace",
            "x-envoy-ip-tags", "x-envoy-original-url", "x-envoy-hedge-on-per-try-timeout");

    /** Also removed from external requests at the edge ({@code use_remote_address}). */
    static final List<String> EDGE_ONLY = List.of("x-envoy-decorator-operation", "x-envoy-downstream-service-cluster",
            "x-envoy-downstream-service-node");

    private RouterHeaders() {
    }

    /** The value of {@link #ATTEMPT_COUNT} for attempt {@code n}, without a new string for the usual counts. */
    static String attemptCount(int n) {
        return n >= 0 && n < COUNTS.length ? COUNTS[n] : Integer.toString(n);
    }

    /**
     * The router's settings for one request.
     *
     * @param retry the route's retry policy as the headers changed it (its per-try timeout included)
     * @param timeout the whole request's timeout; zero = none
     * @param timeoutStatus the status a timed-out request is answered with: 504, or 204 when asked
     */
    record Decision(RetryPolicy retry, Duration timeout, int timeoutStatus) {
        Decision {
            Objects.requireNonNull(retry, "retry");
            Objects.requireNonNull(timeout, "timeout");
        }
    }

    /**
     * Marks an internal request, or strips the control headers from one that is not (Envoy's
     * {@code cleanInternalHeaders}); the client's own {@code x-envoy-internal} never passes.
     *
     * @param edge an external request on a connection manager with {@code use_remote_address}
     * @param internalOnly the route configuration's {@code internal_only_headers}
     */
    static void sanitize(MultiMap headers, boolean internal, boolean edge, List<String> internalOnly) {
        headers.remove(INTERNAL);
        if (internal) {
            headers.set(INTERNAL, "true");
            return;
        }
        if (edge) {
            removeAll(headers, EDGE_ONLY);
        }
        removeAll(headers, INTERNAL_ONLY);
        removeAll(headers, internalOnly);
    }

    /** Removes each named header (an indexed loop: this runs for every request). */
    private static void removeAll(MultiMap headers, List<String> names) {
        for (int i = 0, n = names.size(); i < n; i++) {
            headers.remove(names.get(i));
        }
    }

    /** Reads the route's settings as the headers change them, and removes the headers read. */
    static Decision consume(RouteEntry route, MultiMap headers) {
        Duration timeout = route.timeout();
        String t = headers.get(TIMEOUT_MS);
        String pt = headers.get(PER_TRY_TIMEOUT_MS);
        String retryOn = headers.get(RETRY_ON);
        String grpcOn = headers.get(RETRY_GRPC_ON);
        String max = headers.get(MAX_RETRIES);
        String extra = headers.get(RETRIABLE_STATUS_CODES);
        int timeoutStatus = 504;
        if (headers.contains(TIMEOUT_ALT_RESPONSE)) {
            headers.remove(TIMEOUT_ALT_RESPONSE);
            timeoutStatus = 204;
        }
        removeAll(headers, ALSO_CONSUMED);
        RetryPolicy policy = route.retry();
        if (t == null && pt == null && retryOn == null && grpcOn == null && max == null && extra == null) {
            // the usual request: the route's own settings, without copying its retry policy
            Duration routeTimeout = route.timeout();
            Duration d = policy.perTryTimeout().orElse(null);
            boolean perTryIgnored = d != null && (d.isZero() || !routeTimeout.isZero() && d.compareTo(routeTimeout) >= 0);
            return new Decision(perTryIgnored ? policy.with(policy.retryOn(), policy.retriableStatusCodes(),
                    policy.numRetries(), Optional.empty()) : policy, timeout, timeoutStatus);
        }
        if (t != null) {
            OptionalLong ms = unsigned(t);
            if (ms.isPresent()) {
                timeout = Duration.ofMillis(ms.getAsLong());
            }
        }
        Duration perTry = policy.perTryTimeout().orElse(Duration.ZERO);
        if (pt != null) {
            OptionalLong ms = unsigned(pt);
            if (ms.isPresent()) {
                perTry = Duration.ofMillis(ms.getAsLong());
            }
        }
        if (!timeout.isZero() && perTry.compareTo(timeout) >= 0) {
            perTry = Duration.ZERO;
        }
        Set<RetryPolicy.RetryOn> on = policy.retryOn().isEmpty() ? EnumSet.noneOf(RetryPolicy.RetryOn.class)
                : EnumSet.copyOf(policy.retryOn());
        Set<Integer> codes = new HashSet<>(policy.retriableStatusCodes());
        int retries = policy.numRetries();
        if (retryOn != null || grpcOn != null || !on.isEmpty()) {
            on.addAll(conditions(retryOn, false));
            on.addAll(conditions(grpcOn, true));
            if (!on.isEmpty() && max != null) {
                OptionalLong n = unsigned(max);
                if (n.isPresent()) {
                    retries = (int) Math.min(Integer.MAX_VALUE, n.getAsLong());
                }
            }
        }
        if (extra != null) {
            for (String c : extra.split(",")) {
                OptionalLong code = unsigned(c);
                if (code.isPresent() && code.getAsLong() <= Integer.MAX_VALUE) {
                    codes.add((int) code.getAsLong());
                }
            }
        }
        for (String h : CONSUMED) {
            headers.remove(h);
        }
        Optional<Duration> perTryTimeout = perTry.isZero() ? Optional.empty() : Optional.of(perTry);
        return new Decision(policy.with(on, codes, retries, perTryTimeout), timeout, timeoutStatus);
    }

    /** The conditions named in a header: HTTP ones for {@code x-envoy-retry-on}, gRPC ones for the gRPC header. */
    private static Set<RetryPolicy.RetryOn> conditions(String value, boolean grpc) {
        Set<RetryPolicy.RetryOn> out = EnumSet.noneOf(RetryPolicy.RetryOn.class);
        if (value == null) {
            return out;
        }
        for (String token : value.split(",")) {
            RetryPolicy.RetryOn.of(token.trim()).filter(r -> r.grpc() == grpc).ifPresent(out::add);
        }
        return out;
    }

    /** An unsigned decimal number (surrounding blanks and a leading {@code +} allowed), or empty. */
    static OptionalLong unsigned(String s) {
        String t = s.trim();
        if (t.startsWith("+")) {
            t = t.substring(1);
        }
        if (t.isEmpty() || t.length() > 19 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(t));
    }
}
