package io.isthmus.sidecar.route;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.isthmus.sidecar.errors.ErrorResponder;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.ResponseFlag;
import io.isthmus.sidecar.errors.TypeUrls;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A route's {@code direct_response}: the proxy answers with a fixed status and body instead of
 * forwarding. In the virtual host {@value #BLOCK_ALL} (Istio's catch-all under
 * {@code outboundTrafficPolicy: REGISTRY_ONLY}) the answer is flagged {@code NR}, so refused calls
 * to hosts outside the registry are counted as such.
 *
 * @param status the HTTP status, 200..599
 * @param body the body, may be empty
 * @param flag the response flag reported with the answer, if any
 * @param redirect a {@code redirect} route's: the answer then carries the {@code location} it builds
 */
public record DirectResponse(int status, String body, Optional<ResponseFlag> flag, Optional<Redirect> redirect) {

    /** The name of Istio's catch-all virtual host of REGISTRY_ONLY route configurations. */
    public static final String BLOCK_ALL = "block_all";

    public DirectResponse {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(flag, "flag");
        Objects.requireNonNull(redirect, "redirect");
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("status must be 200..599, got " + status);
        }
    }

    /**
     * Reads the direct response of a route.
     *
     * @param rc the route configuration name, for errors
     * @param field the route's field path, for errors
     * @param virtualHost the name of the route's virtual host
     */
    static DirectResponse of(String rc, String field, Route r, String virtualHost) throws InvalidResourceException {
        if (r.hasRedirect()) {
            Redirect redirect = Redirect.of(rc, field, r.getRedirect());
            return new DirectResponse(redirect.status(), "", Optional.empty(), Optional.of(redirect));
        }
        var d = r.getDirectResponse();
        String body = "";
        if (d.hasBody()) {
            body = switch (d.getBody().getSpecifierCase()) {
                case INLINE_STRING -> d.getBody().getInlineString();
                case INLINE_BYTES -> d.getBody().getInlineBytes().toString(StandardCharsets.UTF_8);
                case SPECIFIER_NOT_SET -> "";
                default -> throw new InvalidResourceException(TypeUrls.ROUTE, rc, field + ".direct_response.body",
                        "only inline_string and inline_bytes are supported");
            };
        }
        if (d.getStatus() < 200 || d.getStatus() > 599) {
            throw new InvalidResourceException(TypeUrls.ROUTE, rc, field + ".direct_response.status",
                    "must be 200..599, got " + d.getStatus());
        }
        return new DirectResponse(d.getStatus(), body,
                BLOCK_ALL.equals(virtualHost) ? Optional.of(ResponseFlag.NO_ROUTE_FOUND) : Optional.empty(), Optional.empty());
    }

    /**
     * Writes the answer, unless a response has already started, with the response header mutation of its route
     * applied first; the proxy's own headers are set after it, the content type only where it set none (as Envoy).
     *
     * @param flags the response flags of the request, for {@link ErrorResponder#FLAGS_HEADER}
     * @param routeHeaders mutates the answer's headers; null when the route has none
     */
    public void write(HttpServerResponse response, String flags, Consumer<MultiMap> routeHeaders) {
        write(response, flags, routeHeaders, null);
    }

    /**
     * Writes the answer as {@link #write(HttpServerResponse, String, Consumer)}, with {@code location} (a redirect's,
     * null for none) set before the route's response headers.
     */
    public void write(HttpServerResponse response, String flags, Consumer<MultiMap> routeHeaders, String location) {
        if (response.headWritten() || response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status);
        if (location != null) {
            response.putHeader("location", location);
        }
        if (routeHeaders != null) {
            routeHeaders.accept(response.headers());
        }
        if (flag.isPresent()) {
            response.putHeader(ErrorResponder.FLAGS_HEADER, flags);
        }
        if (!body.isEmpty() && !response.headers().contains("content-type")) {
            response.putHeader("content-type", "text/plain");
        }
        response.putHeader("server", "isthmus");
        response.end(body);
    }
}
