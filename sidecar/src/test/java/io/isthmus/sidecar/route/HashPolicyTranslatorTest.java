package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteAction.HashPolicy.ConnectionProperties;
import io.envoyproxy.envoy.config.route.v3.RouteAction.HashPolicy.Cookie;
import io.envoyproxy.envoy.config.route.v3.RouteAction.HashPolicy.FilterState;
import io.envoyproxy.envoy.config.route.v3.RouteAction.HashPolicy.Header;
import io.envoyproxy.envoy.config.route.v3.RouteAction.HashPolicy.QueryParameter;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.testing.Xds;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Route {@code hash_policy} as Istio sends a DestinationRule's {@code consistentHash}: each field accepted, each refusal named. */
class HashPolicyTranslatorTest {

    private static final String PATH = "virtual_hosts[0].routes[0].route.hash_policy";

    private static RouteAction.HashPolicy.Builder policy() {
        return RouteAction.HashPolicy.newBuilder();
    }

    private static io.envoyproxy.envoy.config.route.v3.RouteConfiguration config(RouteAction.HashPolicy.Builder... policies) {
        RouteAction.Builder action = RouteAction.newBuilder().setCluster("outbound|9080||reviews.default.svc.cluster.local");
        for (RouteAction.HashPolicy.Builder p : policies) {
            action.addHashPolicy(p);
        }
        return Xds.routes("9080", Xds.vhost("reviews", List.of("reviews"),
                Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/")).setRoute(action).build()));
    }

    private static HashPolicy translate(RouteAction.HashPolicy.Builder... policies) throws InvalidResourceException {
        return RouteTranslator.translate(config(policies)).virtualHosts().get(0).routes().get(0).hashPolicy();
    }

    @Test
    void istiosFourKindsAreTranslatedInOrderWithTerminal() throws Exception {
        HashPolicy p = translate(
                policy().setHeader(Header.newBuilder().setHeaderName("X-User")),
                policy().setCookie(Cookie.newBuilder().setName("session").setPath("/app")
                        .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(30).setNanos(900_000_000))),
                policy().setConnectionProperties(ConnectionProperties.newBuilder().setSourceIp(true)).setTerminal(true),
                policy().setQueryParameter(QueryParameter.newBuilder().setName("tenant")));

        assertThat(p.rules()).containsExactly(
                new HashPolicy.Rule(new HashPolicy.Header("x-user"), false),
                new HashPolicy.Rule(new HashPolicy.Cookie("session", "/app", Optional.of(Duration.ofSeconds(30))), false),
                new HashPolicy.Rule(new HashPolicy.SourceIp(), true),
                new HashPolicy.Rule(new HashPolicy.QueryParameter("tenant"), false));
    }

    @Test
    void aCookieWithoutTtlNeverGeneratesOneAndAZeroTtlIsASessionCookie() throws Exception {
        assertThat(translate(policy().setCookie(Cookie.newBuilder().setName("s"))).rules().get(0).input())
                .isEqualTo(new HashPolicy.Cookie("s", "", Optional.empty()));
        assertThat(translate(policy().setCookie(Cookie.newBuilder().setName("s")
                .setTtl(com.google.protobuf.Duration.getDefaultInstance()))).rules().get(0).input())
                .isEqualTo(new HashPolicy.Cookie("s", "", Optional.of(Duration.ZERO)));
    }

    @Test
    void noHashPolicyAndConnectionPropertiesWithoutSourceIpHashNothing() throws Exception {
        assertThat(translate()).isEqualTo(HashPolicy.NONE);
        assertThat(translate(policy().setConnectionProperties(ConnectionProperties.getDefaultInstance())).isEmpty())
                .as("Envoy adds no rule for it").isTrue();
        assertThat(translate(policy().setHeader(Header.newBuilder().setHeaderName(":authority"))).rules()).hasSize(1);
    }

    @Test
    void whatIsNotHonouredIsRefusedNamingTheField() {
        refused(PATH + "[1].filter_state", policy().setHeader(Header.newBuilder().setHeaderName("x-user")),
                policy().setFilterState(FilterState.newBuilder().setKey("io.istio.peer")));
        refused(PATH + "[0].header.regex_rewrite", policy().setHeader(Header.newBuilder().setHeaderName("x-user")
                .setRegexRewrite(RegexMatchAndSubstitute.newBuilder().setPattern(RegexMatcher.newBuilder().setRegex("a"))
                        .setSubstitution("b"))));
        refused(PATH + "[0].cookie.attributes", policy().setCookie(Cookie.newBuilder().setName("s")
                .addAttributes(RouteAction.HashPolicy.CookieAttribute.newBuilder().setName("SameSite").setValue("Strict"))));
        refused(PATH + "[0]", policy().setTerminal(true));
    }

    @Test
    void malformedNamesPathsAndTtlsAreRefusedNamingTheField() {
        refused(PATH + "[0].header.header_name", policy().setHeader(Header.getDefaultInstance()));
        refused(PATH + "[0].header.header_name", policy().setHeader(Header.newBuilder().setHeaderName("x user")));
        refused(PATH + "[0].cookie.name", policy().setCookie(Cookie.getDefaultInstance()));
        refused(PATH + "[0].cookie.name", policy().setCookie(Cookie.newBuilder().setName("a=b")));
        refused(PATH + "[0].cookie.path", policy().setCookie(Cookie.newBuilder().setName("s").setPath("/; Domain=evil")));
        refused(PATH + "[0].cookie.path", policy().setCookie(Cookie.newBuilder().setName("s").setPath("/\r\nx: y")));
        refused(PATH + "[0].cookie.ttl", policy().setCookie(Cookie.newBuilder().setName("s")
                .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(-1))));
        refused(PATH + "[0].query_parameter.name", policy().setQueryParameter(QueryParameter.getDefaultInstance()));
    }

    private static void refused(String field, RouteAction.HashPolicy.Builder... policies) {
        assertThatThrownBy(() -> RouteTranslator.translate(config(policies)))
                .isInstanceOfSatisfying(InvalidResourceException.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.resourceName()).isEqualTo("9080");
                    assertThat(e.reason()).isNotBlank();
                });
    }
}
