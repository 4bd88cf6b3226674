package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.route.CorsPolicy;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * Envoy's CORS filter ({@code envoy.filters.http.cors}) on one request whose route has a {@link CorsPolicy} and whose
 * {@code Origin} is not empty. A preflight ({@code OPTIONS} with {@code Access-Control-Request-Method}) from an
 * allowed origin is answered by the proxy, 200 with the policy's {@code access-control-allow-*} and {@code -max-age}
 * headers; one from another origin goes on, or, without {@code forward_not_matching_preflights}, is answered 200
 * without CORS headers. Every response to an allowed origin's other requests (the upstream's, and the proxy's own
 * replies from the filters after this one, as Envoy encodes them through it) gets {@code access-control-allow-origin}
 * (the request's origin), {@code -allow-credentials} and {@code -expose-headers}. Confined to the request's event loop.
 */
final class CorsFilter implements Consumer<MultiMap> {

    private final CorsPolicy policy;
    private final String origin;
    private final boolean preflight;
    private final boolean allowed;

    private CorsFilter(CorsPolicy policy, String origin, boolean preflight, boolean allowed) {
        this.policy = policy;
        this.origin = origin;
        this.preflight = preflight;
        this.allowed = allowed;
    }

    /**
     * What the filter does with a request: a preflight to answer ({@link #preflight()}), the headers of an allowed
     * origin's responses, or nothing (null: no policy or origin, the filter off for this request by
     * {@code filter_enabled}, an origin not allowed).
     */
    static CorsFilter decode(Optional<CorsPolicy> route, HttpServerRequest request, RandomGenerator random) {
        if (route.isEmpty()) {
            return null;
        }
        CorsPolicy policy = route.get();
        if (policy.enabledPerMillion() < 1_000_000 && random.nextInt(1_000_000) >= policy.enabledPerMillion()) {
            return null;
        }
        String origin = request.getHeader("origin");
        if (origin == null || origin.isEmpty()) {
            return null;
        }
        boolean allowed = policy.allows(origin);
        String requestMethod = request.getHeader("access-control-request-method");
        boolean preflight = request.method() == HttpMethod.OPTIONS && requestMethod != null && !requestMethod.isEmpty();
        if (!allowed && (!preflight || policy.forwardsUnmatchedPreflights())) {
            return null;
        }
        return new CorsFilter(policy, origin, preflight, allowed);
    }

    /** Whether the proxy answers the request itself ({@link #answer}). */
    boolean preflight() {
        return preflight;
    }

    /** Answers the preflight: 200, with the CORS headers when the origin is allowed, no body. */
    void answer(HttpServerRequest request, HttpServerResponse response) {
        if (response.headWritten() || response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(200);
        if (allowed) {
            response.putHeader("access-control-allow-origin", origin);
            if (policy.credentials()) {
                response.putHeader("access-control-allow-credentials", "true");
            }
            if (!policy.allowMethods().isEmpty()) {
                response.putHeader("access-control-allow-methods", policy.allowMethods());
            }
            if (!policy.allowHeaders().isEmpty()) {
                response.putHeader("access-control-allow-headers", policy.allowHeaders());
            }
            if (!policy.maxAge().isEmpty()) {
                response.putHeader("access-control-max-age", policy.maxAge());
            }
            if (policy.allowPrivateNetworkAccess().orElse(false)
                    && "true".equals(request.getHeader("access-control-request-private-network"))) {
                response.putHeader("access-control-allow-private-network", "true");
            }
        }
        response.putHeader("server", "isthmus");
        response.end();
    }

    /** Adds the CORS headers of an allowed origin's request to a response's headers. */
    @Override
    public void accept(MultiMap headers) {
        headers.set("access-control-allow-origin", origin);
        if (policy.credentials()) {
            headers.set("access-control-allow-credentials", "true");
        }
        if (!policy.exposeHeaders().isEmpty()) {
            headers.set("access-control-expose-headers", policy.exposeHeaders());
        }
    }
}
