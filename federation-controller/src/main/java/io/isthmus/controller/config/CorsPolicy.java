package io.isthmus.controller.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Istio's {@code CorsPolicy} of a VirtualService HTTP route: which other origins a browser may call the route from,
 * answered by the caller's proxy (Envoy's CORS filter). Checked as Istio validates it: methods Istio knows, header
 * names of letters, digits, {@code -} and {@code _}, a {@code maxAge} of whole seconds, origin matches that are not
 * empty.
 *
 * @param allowOrigins the origins allowed ({@code allowOrigins}, or the deprecated {@code allowOrigin} as exact
 *     matches); empty = none
 * @param allowMethods {@code access-control-allow-methods} of a preflight answer; empty = not sent
 * @param allowHeaders {@code access-control-allow-headers} of a preflight answer; empty = not sent
 * @param exposeHeaders {@code access-control-expose-headers} of an allowed origin's responses; empty = not sent
 * @param maxAge {@code access-control-max-age} of a preflight answer, whole seconds; empty = not sent
 * @param allowCredentials {@code access-control-allow-credentials: true} when true; empty = unset (as false)
 * @param unmatchedPreflights what the proxy does with a preflight from an origin not allowed
 */
public record CorsPolicy(List<StringMatch> allowOrigins, List<String> allowMethods, List<String> allowHeaders,
                         List<String> exposeHeaders, Optional<Duration> maxAge, Optional<Boolean> allowCredentials,
                         UnmatchedPreflights unmatchedPreflights) {

    /** Istio's {@code CorsPolicy.UnmatchedPreflights}. */
    public enum UnmatchedPreflights {
        /** Send it on to the destination (the default, Envoy's {@code forward_not_matching_preflights: true}). */
        FORWARD,
        /** Answer it at the proxy, without CORS headers. */
        IGNORE
    }

    /** The methods Istio accepts in {@code allowMethods}. */
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT",
            "OPTIONS", "TRACE");

    public CorsPolicy {
        allowOrigins = List.copyOf(allowOrigins);
        allowMethods = List.copyOf(allowMethods);
        allowHeaders = List.copyOf(allowHeaders);
        exposeHeaders = List.copyOf(exposeHeaders);
        Objects.requireNonNull(maxAge, "maxAge");
        Objects.requireNonNull(allowCredentials, "allowCredentials");
        Objects.requireNonNull(unmatchedPreflights, "unmatchedPreflights");
    }

    static CorsPolicy parse(Fields f) {
        f.allowOnly("allowOrigins", "allowOrigin", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge",
                "allowCredentials", "unmatchedPreflights");
        if (f.has("allowOrigin") && f.has("allowOrigins")) {
            throw f.error("allowOrigin", "the deprecated allowOrigin cannot be set with allowOrigins");
        }
        List<StringMatch> origins = new ArrayList<>();
        for (Fields o : f.objects("allowOrigins")) {
            StringMatch m = StringMatch.parse(o);
            if (m.value().isEmpty()) {
                throw o.error(m.kind().name().toLowerCase(java.util.Locale.ROOT), "must not be empty");
            }
            origins.add(m);
        }
        List<String> exact = f.strings("allowOrigin");
        for (int i = 0; i < exact.size(); i++) {
            if (exact.get(i).isEmpty()) {
                throw f.error("allowOrigin[" + i + "]", "must not be empty");
            }
            origins.add(new StringMatch(StringMatch.Kind.EXACT, exact.get(i)));
        }
        List<String> methods = f.strings("allowMethods");
        for (int i = 0; i < methods.size(); i++) {
            if (!METHODS.contains(methods.get(i))) {
                throw f.error("allowMethods[" + i + "]", "not an HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, "
                        + "OPTIONS, TRACE), got '" + methods.get(i) + "'");
            }
        }
        Duration maxAge = f.duration("maxAge");
        if (maxAge != null && maxAge.getNano() != 0) {
            throw f.error("maxAge", "must be whole seconds, got " + f.str("maxAge", ""));
        }
        String unmatched = f.str("unmatchedPreflights", "FORWARD");
        if (!Set.of("FORWARD", "IGNORE", "UNSPECIFIED").contains(unmatched)) {
            throw f.error("unmatchedPreflights", "must be FORWARD or IGNORE, got " + unmatched);
        }
        return new CorsPolicy(origins, methods, headerNames(f, "allowHeaders"), headerNames(f, "exposeHeaders"),
                Optional.ofNullable(maxAge), Optional.ofNullable(f.bool("allowCredentials")),
                unmatched.equals("IGNORE") ? UnmatchedPreflights.IGNORE : UnmatchedPreflights.FORWARD);
    }

    private static List<String> headerNames(Fields f, String field) {
        List<String> names = f.strings(field);
        for (int i = 0; i < names.size(); i++) {
            if (!names.get(i).matches("[-_A-Za-z0-9]+")) {
                throw f.error(field + "[" + i + "]", "not a header name (letters, digits, '-' and '_'): '" + names.get(i) + "'");
            }
        }
        return names;
    }
}
