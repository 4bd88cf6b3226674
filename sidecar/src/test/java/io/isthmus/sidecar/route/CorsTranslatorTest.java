package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.testing.Xds;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The CORS filter's per-route config in RDS: read on routes, virtual hosts and the route configuration, merged field
 * by field (the most specific level first), and every field the proxy cannot honour refused by name.
 */
class CorsTranslatorTest {

    static final String KEY = "envoy.filters.http.cors";

    static StringMatcher exact(String s) {
        return StringMatcher.newBuilder().setExact(s).build();
    }

    static Route route(CorsPolicy p) {
        Route.Builder r = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setCluster("app"));
        if (p != null) {
            r.putTypedPerFilterConfig(KEY, Xds.any(p));
        }
        return r.build();
    }

    static RouteConfiguration config(Route r) {
        return Xds.routes("80", Xds.vhost("svc", List.of("svc"), r));
    }

    static RouteEntry translate(RouteConfiguration rc) throws InvalidResourceException {
        return RouteTranslator.translate(rc).virtualHosts().get(0).routes().get(0);
    }

    static void refused(RouteConfiguration rc, String field, String reason) {
        assertThatThrownBy(() -> RouteTranslator.translate(rc)).isInstanceOf(InvalidResourceException.class)
                .satisfies(e -> {
                    InvalidResourceException x = (InvalidResourceException) e;
                    assertThat(x.field()).isEqualTo(field);
                    assertThat(x.reason()).contains(reason);
                });
    }

    static void refused(CorsPolicy p, String field, String reason) {
        refused(config(route(p)), "virtual_hosts[0].routes[0].typed_per_filter_config[" + KEY + "]" + field, reason);
    }

    @Test
    void everyHonouredFieldIsRead() throws Exception {
        RouteEntry r = translate(config(route(CorsPolicy.newBuilder()
                .addAllowOriginStringMatch(exact("https://a.example"))
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setSuffix(".EXAMPLE.org").setIgnoreCase(true))
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex("https://[a-z]+\\.test")))
                .setAllowMethods("GET,POST").setAllowHeaders("x-user").setExposeHeaders("x-id").setMaxAge("86400")
                .setAllowCredentials(BoolValue.of(true)).setAllowPrivateNetworkAccess(BoolValue.of(true))
                .setForwardNotMatchingPreflights(BoolValue.of(false))
                .setFilterEnabled(RuntimeFractionalPercent.newBuilder().setDefaultValue(FractionalPercent.newBuilder()
                        .setNumerator(25).setDenominator(FractionalPercent.DenominatorType.HUNDRED)))
                .build())));
        io.isthmus.sidecar.route.CorsPolicy c = r.cors().orElseThrow();
        assertThat(c.allows("https://a.example")).isTrue();
        assertThat(c.allows("https://a.example.evil")).isFalse();
        assertThat(c.allows("https://shop.example.ORG")).as("ignore_case").isTrue();
        assertThat(c.allows("https://abc.test")).isTrue();
        assertThat(c.allowMethods()).isEqualTo("GET,POST");
        assertThat(c.allowHeaders()).isEqualTo("x-user");
        assertThat(c.exposeHeaders()).isEqualTo("x-id");
        assertThat(c.maxAge()).isEqualTo("86400");
        assertThat(c.credentials()).isTrue();
        assertThat(c.allowPrivateNetworkAccess()).contains(true);
        assertThat(c.forwardsUnmatchedPreflights()).isFalse();
        assertThat(c.enabledPerMillion()).isEqualTo(250_000);
    }

    @Test
    void unsetFieldsHaveEnvoysDefaults() throws Exception {
        io.isthmus.sidecar.route.CorsPolicy c = translate(config(route(CorsPolicy.getDefaultInstance()))).cors().orElseThrow();
        assertThat(c.allows("https://a.example")).isFalse();
        assertThat(c.credentials()).isFalse();
        assertThat(c.forwardsUnmatchedPreflights()).isTrue();
        assertThat(c.enabledPerMillion()).isEqualTo(1_000_000);
        assertThat(translate(config(route(null))).cors()).isEmpty();
    }

    @Test
    void theMostSpecificLevelsFieldsWinOneByOne() throws Exception {
        CorsPolicy rcLevel = CorsPolicy.newBuilder().addAllowOriginStringMatch(exact("https://rc.example")).setMaxAge("10")
                .setExposeHeaders("x-rc").setAllowCredentials(BoolValue.of(true)).build();
        CorsPolicy vhLevel = CorsPolicy.newBuilder().addAllowOriginStringMatch(exact("https://vh.example")).setAllowMethods("GET")
                .setFilterEnabled(RuntimeFractionalPercent.newBuilder().setDefaultValue(FractionalPercent.newBuilder().setNumerator(0)))
                .build();
        CorsPolicy routeLevel = CorsPolicy.newBuilder().setAllowMethods("PUT").setAllowCredentials(BoolValue.of(false)).build();
        VirtualHost vh = Xds.vhost("svc", List.of("svc"), route(routeLevel), route(null)).toBuilder()
                .putTypedPerFilterConfig(KEY, Xds.any(vhLevel)).build();
        RouteTable t = RouteTranslator.translate(Xds.routes("80", vh).toBuilder().putTypedPerFilterConfig(KEY, Xds.any(rcLevel)).build());
        io.isthmus.sidecar.route.CorsPolicy own = t.virtualHosts().get(0).routes().get(0).cors().orElseThrow();
        assertThat(own.allows("https://vh.example")).as("origins from the virtual host").isTrue();
        assertThat(own.allows("https://rc.example")).isFalse();
        assertThat(own.allowMethods()).as("the route's own").isEqualTo("PUT");
        assertThat(own.maxAge()).as("from the route configuration").isEqualTo("10");
        assertThat(own.exposeHeaders()).isEqualTo("x-rc");
        assertThat(own.credentials()).as("set false on the route: the outer true does not apply").isFalse();
        assertThat(own.enabledPerMillion()).as("filter_enabled of the most specific policy, unset there = all").isEqualTo(1_000_000);
        io.isthmus.sidecar.route.CorsPolicy inherited = t.virtualHosts().get(0).routes().get(1).cors().orElseThrow();
        assertThat(inherited.allowMethods()).isEqualTo("GET");
        assertThat(inherited.credentials()).isTrue();
        assertThat(inherited.enabledPerMillion()).isZero();
    }

    @Test
    void aDirectResponseOrRedirectRouteHasItsPolicyAndFaultToo() throws Exception {
        Route direct = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setDirectResponse(DirectResponseAction.newBuilder().setStatus(200))
                .putTypedPerFilterConfig(KEY, Xds.any(CorsPolicy.newBuilder().addAllowOriginStringMatch(exact("https://a.example")).build()))
                .putTypedPerFilterConfig("envoy.filters.http.fault", Xds.any(HTTPFault.newBuilder()
                        .setAbort(FaultAbort.newBuilder().setHttpStatus(503)).build()))
                .build();
        RouteEntry r = translate(config(direct));
        assertThat(r.cors().orElseThrow().allows("https://a.example")).isTrue();
        assertThat(r.fault().orElseThrow().abortStatus()).isEqualTo(503);
    }

    @Test
    void eachUnsupportedOrInvalidFieldIsRefusedByName() {
        refused(CorsPolicy.newBuilder().addAllowOriginStringMatch(StringMatcher.getDefaultInstance()).build(),
                ".allow_origin_string_match[0]", "MATCHPATTERN_NOT_SET is not supported");
        refused(CorsPolicy.newBuilder().addAllowOriginStringMatch(exact("ok")).addAllowOriginStringMatch(
                StringMatcher.newBuilder().setPrefix("")).build(), ".allow_origin_string_match[1].prefix", "must not be empty");
        refused(CorsPolicy.newBuilder().addAllowOriginStringMatch(exact("")).build(), ".allow_origin_string_match[0].exact",
                "must not be empty");
        refused(CorsPolicy.newBuilder().addAllowOriginStringMatch(StringMatcher.newBuilder().setSafeRegex(
                RegexMatcher.newBuilder().setRegex("(a"))).build(), ".allow_origin_string_match[0].safe_regex.regex", "invalid regex");
        refused(CorsPolicy.newBuilder().addAllowOriginStringMatch(StringMatcher.newBuilder().setCustom(
                com.github.xds.core.v3.TypedExtensionConfig.getDefaultInstance())).build(),
                ".allow_origin_string_match[0]", "CUSTOM is not supported");
        refused(CorsPolicy.newBuilder().setAllowMethods("GET\r\nx-evil: 1").build(), ".allow_methods", "control characters");
        refused(CorsPolicy.newBuilder().setAllowHeaders("a\u0000b").build(), ".allow_headers", "control characters");
        refused(CorsPolicy.newBuilder().setExposeHeaders("a\nb").build(), ".expose_headers", "control characters");
        refused(CorsPolicy.newBuilder().setMaxAge("1h").build(), ".max_age", "must be a number of seconds, got '1h'");
        refused(CorsPolicy.newBuilder().setFilterEnabled(RuntimeFractionalPercent.newBuilder().setRuntimeKey("cors.on")
                .setDefaultValue(FractionalPercent.newBuilder().setNumerator(100))).build(), ".filter_enabled.runtime_key",
                "runtime keys are not supported");
        refused(CorsPolicy.newBuilder().setFilterEnabled(RuntimeFractionalPercent.getDefaultInstance()).build(),
                ".filter_enabled.default_value", "required");
        refused(CorsPolicy.newBuilder().setShadowEnabled(RuntimeFractionalPercent.newBuilder()
                .setDefaultValue(FractionalPercent.newBuilder().setNumerator(100))).build(), ".shadow_enabled", "not supported");
        refused(config(route(null).toBuilder().putTypedPerFilterConfig(KEY, Xds.any(HTTPFault.getDefaultInstance())).build()),
                "virtual_hosts[0].routes[0].typed_per_filter_config[" + KEY + "]", "cannot decode CorsPolicy");
    }

    @Test
    void theDeprecatedCorsFieldsAndOtherFiltersConfigOutsideRoutesAreRefusedByName() {
        var legacy = io.envoyproxy.envoy.config.route.v3.CorsPolicy.newBuilder().addAllowOriginStringMatch(exact("https://a.example"));
        refused(config(route(null).toBuilder().setRoute(RouteAction.newBuilder().setCluster("app").setCors(legacy)).build()),
                "virtual_hosts[0].routes[0].route.cors", "the deprecated cors field is not supported");
        refused(Xds.routes("80", Xds.vhost("svc", List.of("svc"), route(null)).toBuilder().setCors(legacy).build()),
                "virtual_hosts[0].cors", "the deprecated cors field is not supported");
        com.google.protobuf.Any fault = Xds.any(HTTPFault.getDefaultInstance());
        refused(Xds.routes("80", Xds.vhost("svc", List.of("svc"), route(null)).toBuilder()
                        .putTypedPerFilterConfig("envoy.filters.http.fault", fault).build()),
                "virtual_hosts[0].typed_per_filter_config[envoy.filters.http.fault]", "only envoy.filters.http.cors");
        refused(config(route(null)).toBuilder().putTypedPerFilterConfig("envoy.filters.http.fault", fault).build(),
                "typed_per_filter_config[envoy.filters.http.fault]", "only envoy.filters.http.cors");
        Route split = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setWeightedClusters(WeightedCluster.newBuilder()
                        .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName("a").setWeight(com.google.protobuf.UInt32Value.of(1))
                                .putTypedPerFilterConfig(KEY, Xds.any(CorsPolicy.getDefaultInstance()))))).build();
        refused(config(split), "virtual_hosts[0].routes[0].route.weighted_clusters.clusters[0].typed_per_filter_config",
                "not supported");
    }

    @Test
    void mergingKeepsTheInnerLevelsSetFields() {
        var outer = new io.isthmus.sidecar.route.CorsPolicy(List.of(new io.isthmus.sidecar.route.CorsPolicy.OriginMatch(
                io.isthmus.sidecar.route.CorsPolicy.OriginMatch.Kind.EXACT, "https://o.example", false)), "GET", "x-a", "x-b", "5",
                Optional.of(true), Optional.of(true), Optional.of(false), 1_000_000);
        var inner = new io.isthmus.sidecar.route.CorsPolicy(List.of(), "", "x-c", "", "", Optional.empty(), Optional.of(false),
                Optional.empty(), 500_000);
        var merged = inner.over(outer);
        assertThat(merged).isEqualTo(new io.isthmus.sidecar.route.CorsPolicy(outer.allowOrigins(), "GET", "x-c", "x-b", "5",
                Optional.of(true), Optional.of(false), Optional.of(false), 500_000));
        assertThat(io.isthmus.sidecar.route.CorsPolicy.mostSpecific(Optional.empty(), Optional.of(outer))).contains(outer);
        assertThat(io.isthmus.sidecar.route.CorsPolicy.mostSpecific(Optional.of(inner), Optional.empty())).contains(inner);
    }
}
