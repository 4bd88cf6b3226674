package io.isthmus.sidecar.route;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The CORS policy of a route (Envoy's {@code envoy.extensions.filters.http.cors.v3.CorsPolicy}, the per-route config
 * of {@code envoy.filters.http.cors}), as one level configures it or, merged with {@link #over}, as it applies to a
 * route: each field from the most specific level that sets it, as Envoy's CORS filter reads them.
 *
 * @param allowOrigins the origins allowed; empty = none at this level
 * @param allowMethods {@code access-control-allow-methods} of a preflight answer; empty = not sent
 * @param allowHeaders {@code access-control-allow-headers} of a preflight answer; empty = not sent
 * @param exposeHeaders {@code access-control-expose-headers} of an allowed origin's responses; empty = not sent
 * @param maxAge {@code access-control-max-age} of a preflight answer, seconds in decimal; empty = not sent
 * @param allowCredentials {@code access-control-allow-credentials: true} when true; empty = unset (false)
 * @param allowPrivateNetworkAccess whether a preflight asking {@code access-control-request-private-network: true}
 *     is answered {@code access-control-allow-private-network: true}; empty = unset (false)
 * @param forwardNotMatchingPreflights whether a preflight from an origin not allowed goes upstream; empty = unset
 *     (true); false = the proxy answers it 200 without CORS headers
 * @param enabledPerMillion the share of requests the filter acts on, per million ({@code filter_enabled}; all when
 *     unset); taken from the most specific level, not merged
 */
public record CorsPolicy(List<OriginMatch> allowOrigins, String allowMethods, String allowHeaders, String exposeHeaders,
                         String maxAge, Optional<Boolean> allowCredentials, Optional<Boolean> allowPrivateNetworkAccess,
                         Optional<Boolean> forwardNotMatchingPreflights, int enabledPerMillion) {

    public CorsPolicy {
        allowOrigins = List.copyOf(allowOrigins);
        Objects.requireNonNull(allowMethods, "allowMethods");
        Objects.requireNonNull(allowHeaders, "allowHeaders");
        Objects.requireNonNull(exposeHeaders, "exposeHeaders");
        Objects.requireNonNull(maxAge, "maxAge");
        Objects.requireNonNull(allowCredentials, "allowCredentials");
        Objects.requireNonNull(allowPrivateNetworkAccess, "allowPrivateNetworkAccess");
        Objects.requireNonNull(forwardNotMatchingPreflights, "forwardNotMatchingPreflights");
        if (enabledPerMillion < 0 || enabledPerMillion > 1_000_000) {
            throw new IllegalArgumentException("enabledPerMillion must be 0..1000000");
        }
    }

    /** This policy with the fields it leaves unset taken from a less specific level's ({@code outer}). */
    public CorsPolicy over(CorsPolicy outer) {
        return new CorsPolicy(allowOrigins.isEmpty() ? outer.allowOrigins : allowOrigins,
                allowMethods.isEmpty() ? outer.allowMethods : allowMethods,
                allowHeaders.isEmpty() ? outer.allowHeaders : allowHeaders,
                exposeHeaders.isEmpty() ? outer.exposeHeaders : exposeHeaders,
                maxAge.isEmpty() ? outer.maxAge : maxAge,
                allowCredentials.or(outer::allowCredentials),
                allowPrivateNetworkAccess.or(outer::allowPrivateNetworkAccess),
                forwardNotMatchingPreflights.or(outer::forwardNotMatchingPreflights),
                enabledPerMillion);
    }

    /** The policy of a route given its own level's and an enclosing level's, either possibly absent. */
    public static Optional<CorsPolicy> mostSpecific(Optional<CorsPolicy> inner, Optional<CorsPolicy> outer) {
        if (inner.isEmpty()) {
            return outer;
        }
        return outer.isEmpty() ? inner : Optional.of(inner.get().over(outer.get()));
    }

    /**
     * Whether a request's {@code Origin} is allowed: a matcher matches it, or matches {@code *} (as Envoy, a
     * matcher that accepts the text {@code *} allows every origin).
     */
    public boolean allows(String origin) {
        for (int i = 0, n = allowOrigins.size(); i < n; i++) {
            OriginMatch m = allowOrigins.get(i);
            if (m.matches("*") || m.matches(origin)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code access-control-allow-credentials: true} is sent. */
    public boolean credentials() {
        return allowCredentials.orElse(false);
    }

    /** Whether a preflight from an origin not allowed goes upstream. */
    public boolean forwardsUnmatchedPreflights() {
        return forwardNotMatchingPreflights.orElse(true);
    }

    /**
     * One origin matcher (Envoy's {@code StringMatcher}).
     *
     * @param kind how {@code value} is compared
     * @param value the text or regular expression, not empty
     * @param ignoreCase whether the comparison ignores ASCII case (not for a regular expression)
     */
    public record OriginMatch(Kind kind, String value, boolean ignoreCase) {

        /** How an origin is compared. */
        public enum Kind { EXACT, PREFIX, SUFFIX, CONTAINS, REGEX }

        public OriginMatch {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(value, "value");
            if (value.isEmpty()) {
                throw new IllegalArgumentException("an origin matcher must not be empty");
            }
            if (kind == Kind.REGEX) {
                ignoreCase = false;
                Regexes.compiled(value);
            } else if (ignoreCase) {
                value = value.toLowerCase(Locale.ROOT);
            }
        }

        /** Whether {@code origin} matches. */
        public boolean matches(String origin) {
            String s = ignoreCase ? origin.toLowerCase(Locale.ROOT) : origin;
            return switch (kind) {
                case EXACT -> s.equals(value);
                case PREFIX -> s.startsWith(value);
                case SUFFIX -> s.endsWith(value);
                case CONTAINS -> s.contains(value);
                case REGEX -> Regexes.matches(value, s);
            };
        }
    }
}
