package io.isthmus.sidecar.route;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.PatternSyntaxException;

/**
 * Translates the per-route config of Envoy's CORS filter ({@code typed_per_filter_config[envoy.filters.http.cors]},
 * a {@code CorsPolicy}) of a route, virtual host or route configuration. Refused naming the field: an origin matcher
 * that is empty, of no kind or {@code custom}, or an invalid regex; a header value with control characters; a
 * {@code max_age} that is not a number of seconds; {@code filter_enabled} with a runtime key or without a default
 * value; {@code shadow_enabled}.
 */
final class CorsTranslator {

    /** The name of the CORS filter, the key of its per-route config. */
    static final String FILTER = "envoy.filters.http.cors";

    private CorsTranslator() {
    }

    /** The policy in {@code any}, found at field {@code f} of route configuration {@code rc}. */
    static CorsPolicy translate(String rc, String f, Any any) throws InvalidResourceException {
        io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy p;
        try {
            p = any.unpack(io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy.class);
        } catch (InvalidProtocolBufferException e) {
            throw invalid(rc, f, "cannot decode CorsPolicy: " + e.getMessage());
        }
        List<CorsPolicy.OriginMatch> origins = new ArrayList<>();
        for (int i = 0; i < p.getAllowOriginStringMatchCount(); i++) {
            origins.add(origin(rc, f + ".allow_origin_string_match[" + i + "]", p.getAllowOriginStringMatch(i)));
        }
        if (p.hasShadowEnabled()) {
            throw invalid(rc, f + ".shadow_enabled", "shadow mode is not supported");
        }
        int enabled = 1_000_000;
        if (p.hasFilterEnabled()) {
            var fe = p.getFilterEnabled();
            if (!fe.getRuntimeKey().isEmpty()) {
                throw invalid(rc, f + ".filter_enabled.runtime_key", "runtime keys are not supported; use default_value");
            }
            if (!fe.hasDefaultValue()) {
                throw invalid(rc, f + ".filter_enabled.default_value", "required");
            }
            enabled = RouteTranslator.perMillion(fe.getDefaultValue());
        }
        String maxAge = value(rc, f + ".max_age", p.getMaxAge());
        if (!maxAge.isEmpty() && !maxAge.matches("\\d{1,10}")) {
            throw invalid(rc, f + ".max_age", "must be a number of seconds, got '" + maxAge + "'");
        }
        return new CorsPolicy(origins, value(rc, f + ".allow_methods", p.getAllowMethods()),
                value(rc, f + ".allow_headers", p.getAllowHeaders()), value(rc, f + ".expose_headers", p.getExposeHeaders()),
                maxAge, p.hasAllowCredentials() ? Optional.of(p.getAllowCredentials().getValue()) : Optional.empty(),
                p.hasAllowPrivateNetworkAccess() ? Optional.of(p.getAllowPrivateNetworkAccess().getValue()) : Optional.empty(),
                p.hasForwardNotMatchingPreflights() ? Optional.of(p.getForwardNotMatchingPreflights().getValue()) : Optional.empty(),
                enabled);
    }

    private static CorsPolicy.OriginMatch origin(String rc, String f, StringMatcher m) throws InvalidResourceException {
        CorsPolicy.OriginMatch.Kind kind;
        String value;
        String at;
        switch (m.getMatchPatternCase()) {
            case EXACT -> {
                kind = CorsPolicy.OriginMatch.Kind.EXACT;
                value = m.getExact();
                at = f + ".exact";
            }
            case PREFIX -> {
                kind = CorsPolicy.OriginMatch.Kind.PREFIX;
                value = m.getPrefix();
                at = f + ".prefix";
            }
            case SUFFIX -> {
                kind = CorsPolicy.OriginMatch.Kind.SUFFIX;
                value = m.getSuffix();
                at = f + ".suffix";
            }
            case CONTAINS -> {
                kind = CorsPolicy.OriginMatch.Kind.CONTAINS;
                value = m.getContains();
                at = f + ".contains";
            }
            case SAFE_REGEX -> {
                kind = CorsPolicy.OriginMatch.Kind.REGEX;
                value = m.getSafeRegex().getRegex();
                at = f + ".safe_regex.regex";
            }
            default -> throw invalid(rc, f, "matcher " + m.getMatchPatternCase() + " is not supported");
        }
        if (value.isEmpty()) {
            throw invalid(rc, at, "must not be empty");
        }
        try {
            return new CorsPolicy.OriginMatch(kind, value, m.getIgnoreCase());
        } catch (PatternSyntaxException e) {
            throw invalid(rc, at, "invalid regex: " + e.getDescription());
        }
    }

    /** A header value of the policy: no control characters but tab. */
    private static String value(String rc, String f, String v) throws InvalidResourceException {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw invalid(rc, f, "a header value must not contain control characters");
            }
        }
        return v;
    }

    private static InvalidResourceException invalid(String rc, String field, String reason) {
        return new InvalidResourceException(TypeUrls.ROUTE, rc, field, reason);
    }
}
