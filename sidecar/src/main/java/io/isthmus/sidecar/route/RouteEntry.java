package io.isthmus.sidecar.route;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.random.RandomGenerator;

/**
 * One route of a virtual host: its match, where it sends, and its resilience settings.
 *
 * @param name the route's name (may be empty)
 * @param path the path condition
 * @param headers header conditions, all must hold
 * @param targets the clusters and their weights; one target for a plain cluster route
 * @param timeout the whole request's timeout including retries; zero = none (Envoy default 15 s)
 * @param retry the retry policy
 * @param prefixRewrite replaces the matched prefix when non-empty
 * @param regexRewrite rewrites the path by a regular expression ({@code regex_rewrite}), not with {@code prefixRewrite}
 * @param hostRewrite replaces the Host/:authority when non-empty
 * @param fault fault injection, when configured
 * @param mirrors clusters that receive a copy of the request (responses ignored)
 * @param directResponse the fixed answer of a {@code direct_response} route (then {@code targets} is empty)
 * @param bufferLimit Envoy's {@code per_request_buffer_limit_bytes} of the route, else of its virtual host:
 *     the most bytes of a request body held for retries and mirroring (the proxy's own limit, 1 MiB, caps
 *     it); empty = only the proxy's limit
 * @param attemptCount whether {@code x-envoy-attempt-count} goes to the upstream and back to the client (its virtual
 *     host's {@code include_request_attempt_count} / {@code include_attempt_count_in_response})
 * @param headerMutations the header mutations of the route, its virtual host and its route configuration, which its
 *     direct response gets; a cluster route's targets carry theirs (a weighted cluster's own level included)
 * @param hashPolicy how requests are hashed for a RING_HASH or MAGLEV cluster ({@code hash_policy}); none by default
 * @param cors the CORS policy of the route, merged over its virtual host's and route configuration's (the CORS
 *     filter's {@code typed_per_filter_config}); empty = none, the CORS filter leaves the route's requests alone
 */
public record RouteEntry(String name, PathMatch path, List<HeaderMatch> headers, List<WeightedTarget> targets,
                         Duration timeout, RetryPolicy retry, String prefixRewrite, String hostRewrite,
                         Optional<FaultPolicy> fault, List<MirrorPolicy> mirrors,
                         Optional<DirectResponse> directResponse, OptionalLong bufferLimit, AttemptCount attemptCount,
                         HeaderMutations headerMutations, HashPolicy hashPolicy, Optional<RegexRewrite> regexRewrite,
                         Optional<CorsPolicy> cors) {

    /** Where Envoy's {@code x-envoy-attempt-count} (1 for the first attempt, 2 for the first retry...) is set. */
    public record AttemptCount(boolean request, boolean response) {
        /** Neither: Envoy's default. */
        public static final AttemptCount NONE = new AttemptCount(false, false);
    }

    public RouteEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
        headers = List.copyOf(headers);
        targets = List.copyOf(targets);
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(prefixRewrite, "prefixRewrite");
        Objects.requireNonNull(hostRewrite, "hostRewrite");
        Objects.requireNonNull(fault, "fault");
        mirrors = List.copyOf(mirrors);
        Objects.requireNonNull(directResponse, "directResponse");
        Objects.requireNonNull(bufferLimit, "bufferLimit");
        Objects.requireNonNull(attemptCount, "attemptCount");
        Objects.requireNonNull(headerMutations, "headerMutations");
        Objects.requireNonNull(hashPolicy, "hashPolicy");
        Objects.requireNonNull(regexRewrite, "regexRewrite");
        Objects.requireNonNull(cors, "cors");
        if (regexRewrite.isPresent() && !prefixRewrite.isEmpty()) {
            throw new IllegalArgumentException("prefix_rewrite and regex_rewrite cannot both be set");
        }
        if (bufferLimit.isPresent() && bufferLimit.getAsLong() < 0) {
            throw new IllegalArgumentException("bufferLimit must be >= 0");
        }
        if (directResponse.isPresent() != targets.isEmpty()) {
            throw new IllegalArgumentException("a route needs at least one cluster, or a direct response and none");
        }
        if (directResponse.isEmpty() && targets.stream().mapToLong(WeightedTarget::weight).sum() <= 0) {
            throw new IllegalArgumentException("cluster weights must not all be zero");
        }
    }

    /** True when the request matches path and headers. */
    public boolean matches(HeaderMatch.RequestView request) {
        if (!path.matches(request.path())) {
            return false;
        }
        for (int i = 0, n = headers.size(); i < n; i++) {
            if (!headers.get(i).matches(request)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The most bytes of this route's request bodies held for retries and mirroring, given the proxy's own
     * limit: the smaller of the two (Envoy: the route's limit only ever lowers the connection's).
     */
    public long retryBufferLimit(long proxyLimit) {
        return bufferLimit.isPresent() ? Math.min(proxyLimit, bufferLimit.getAsLong()) : proxyLimit;
    }

    /** Picks a target by weight; null for a direct response. */
    public WeightedTarget pickTarget(RandomGenerator random) {
        if (targets.size() <= 1) {
            return targets.isEmpty() ? null : targets.get(0);
        }
        long total = targets.stream().mapToLong(WeightedTarget::weight).sum();
        long roll = random.nextLong(total);
        for (WeightedTarget t : targets) {
            if (roll < t.weight()) {
                return t;
            }
            roll -= t.weight();
        }
        return targets.get(targets.size() - 1);
    }

    /**
     * Fault injection of a route (Envoy's {@code HTTPFault}, fixed delay and HTTP abort).
     *
     * @param delay the delay to add; zero = none
     * @param delayPermille share of requests delayed, per million
     * @param abortStatus status of an aborted request; 0 = no abort
     * @param abortPermille share of requests aborted, per million
     */
    public record FaultPolicy(Duration delay, int delayPermille, int abortStatus, int abortPermille) {
        public FaultPolicy {
            Objects.requireNonNull(delay, "delay");
            if (delayPermille < 0 || delayPermille > 1_000_000 || abortPermille < 0 || abortPermille > 1_000_000) {
                throw new IllegalArgumentException("fault percentages must be within 0..100 %");
            }
            if (abortStatus != 0 && (abortStatus < 200 || abortStatus > 599)) {
                throw new IllegalArgumentException("abort status must be 200..599");
            }
        }
    }

    /**
     * A request mirror (shadow).
     *
     * @param cluster the cluster that receives the copy
     * @param permille share of requests mirrored, per million
     */
    public record MirrorPolicy(String cluster, int permille) {
        public MirrorPolicy {
            Objects.requireNonNull(cluster, "cluster");
            if (permille < 0 || permille > 1_000_000) {
                throw new IllegalArgumentException("mirror fraction must be within 0..100 %");
            }
        }
    }
}
