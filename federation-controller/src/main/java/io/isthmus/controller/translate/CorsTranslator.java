package io.isthmus.controller.translate;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.isthmus.controller.config.StringMatch;

/**
 * Translates a VirtualService route's {@code corsPolicy} into the per-route config of Envoy's CORS filter, as Istio's
 * {@code TranslateCORSPolicy} does: origins as string matchers, the lists comma-joined, {@code max_age} in seconds,
 * the filter enabled for every request, and {@code unmatchedPreflights} as {@code forward_not_matching_preflights}.
 */
final class CorsTranslator {

    private CorsTranslator() {
    }

    /** Envoy's {@code CorsPolicy} of a route's Istio one. */
    static CorsPolicy policy(io.isthmus.controller.config.CorsPolicy in) {
        CorsPolicy.Builder out = CorsPolicy.newBuilder()
                .setFilterEnabled(RuntimeFractionalPercent.newBuilder().setDefaultValue(FractionalPercent.newBuilder()
                        .setNumerator(100).setDenominator(FractionalPercent.DenominatorType.HUNDRED)))
                .setForwardNotMatchingPreflights(BoolValue.of(
                        in.unmatchedPreflights() == io.isthmus.controller.config.CorsPolicy.UnmatchedPreflights.FORWARD))
                .setAllowMethods(String.join(",", in.allowMethods()))
                .setAllowHeaders(String.join(",", in.allowHeaders()))
                .setExposeHeaders(String.join(",", in.exposeHeaders()));
        for (StringMatch m : in.allowOrigins()) {
            out.addAllowOriginStringMatch(matcher(m));
        }
        in.maxAge().ifPresent(d -> out.setMaxAge(Long.toString(d.getSeconds())));
        in.allowCredentials().ifPresent(b -> out.setAllowCredentials(BoolValue.of(b)));
        return out.build();
    }

    private static StringMatcher matcher(StringMatch m) {
        StringMatcher.Builder b = StringMatcher.newBuilder();
        switch (m.kind()) {
            case EXACT -> b.setExact(m.value());
            case PREFIX -> b.setPrefix(m.value());
            case REGEX -> b.setSafeRegex(RegexMatcher.newBuilder().setRegex(m.value()));
        }
        return b.build();
    }
}
