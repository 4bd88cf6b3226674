package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.xds.XdsTypeRegistry;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The header mutation fields of RouteConfiguration, VirtualHost, Route and WeightedCluster.ClusterWeight: each is
 * accepted at each level and lands in the right place and order; each malformed option is refused naming its field.
 */
class HeaderMutationTranslatorTest {

    static HeaderValueOption option(String name, String value, HeaderAppendAction action) {
        return HeaderValueOption.newBuilder().setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
                .setAppendAction(action).build();
    }

    /** A route configuration whose four levels each set all four fields, tagged with the level's name. */
    private static RouteConfiguration allLevels(boolean mostSpecificWins) {
        WeightedCluster.ClusterWeight.Builder v1 = WeightedCluster.ClusterWeight.newBuilder().setName("v1")
                .setWeight(UInt32Value.of(1));
        tag(v1::addRequestHeadersToAdd, v1::addRequestHeadersToRemove, v1::addResponseHeadersToAdd,
                v1::addResponseHeadersToRemove, "cw");
        Route.Builder route = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setWeightedClusters(WeightedCluster.newBuilder().addClusters(v1)
                        .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName("v2").setWeight(UInt32Value.of(1)))));
        tag(route::addRequestHeadersToAdd, route::addRequestHeadersToRemove, route::addResponseHeadersToAdd,
                route::addResponseHeadersToRemove, "route");
        VirtualHost.Builder vh = VirtualHost.newBuilder().setName("vh").addDomains("*").addRoutes(route);
        tag(vh::addRequestHeadersToAdd, vh::addRequestHeadersToRemove, vh::addResponseHeadersToAdd,
                vh::addResponseHeadersToRemove, "vh");
        RouteConfiguration.Builder rc = RouteConfiguration.newBuilder().setName("rc").addVirtualHosts(vh)
                .setMostSpecificHeaderMutationsWins(mostSpecificWins);
        tag(rc::addRequestHeadersToAdd, rc::addRequestHeadersToRemove, rc::addResponseHeadersToAdd,
                rc::addResponseHeadersToRemove, "rc");
        return rc.build();
    }

    private static void tag(java.util.function.Consumer<HeaderValueOption> requestAdd, java.util.function.Consumer<String> requestRemove,
                            java.util.function.Consumer<HeaderValueOption> responseAdd, java.util.function.Consumer<String> responseRemove,
                            String level) {
        requestAdd.accept(option("X-Req-" + level, level, HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
        requestRemove.accept("X-Req-Gone-" + level);
        responseAdd.accept(option("x-resp-" + level, level, HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
        responseRemove.accept("x-resp-gone-" + level);
    }

    private static List<String> requestLevels(HeaderMutations m) {
        return m.request().stream().map(l -> l.add().get(0).name() + "/" + l.remove().get(0)).toList();
    }

    private static List<String> responseLevels(HeaderMutations m) {
        return m.response().stream().map(l -> l.add().get(0).value() + "/" + l.remove().get(0)).toList();
    }

    @Test
    void everyFieldIsAcceptedAtEveryLevelMostSpecificFirst() throws InvalidResourceException {
        RouteEntry r = RouteTranslator.translate(allLevels(false)).virtualHosts().get(0).routes().get(0);

        HeaderMutations v1 = r.targets().get(0).headerMutations();
        assertThat(requestLevels(v1)).as("names lower-cased; weighted cluster, route, virtual host, route configuration")
                .containsExactly("x-req-cw/x-req-gone-cw", "x-req-route/x-req-gone-route", "x-req-vh/x-req-gone-vh",
                        "x-req-rc/x-req-gone-rc");
        assertThat(responseLevels(v1)).containsExactly("cw/x-resp-gone-cw", "route/x-resp-gone-route", "vh/x-resp-gone-vh",
                "rc/x-resp-gone-rc");
        assertThat(v1.request().get(0).add().get(0).action()).isEqualTo(HeaderMutation.AppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
        assertThat(requestLevels(r.targets().get(1).headerMutations())).as("v2 has no level of its own")
                .containsExactly("x-req-route/x-req-gone-route", "x-req-vh/x-req-gone-vh", "x-req-rc/x-req-gone-rc");
        assertThat(requestLevels(r.headerMutations())).as("the route's own chain (direct responses)")
                .containsExactly("x-req-route/x-req-gone-route", "x-req-vh/x-req-gone-vh", "x-req-rc/x-req-gone-rc");
    }

    @Test
    void mostSpecificHeaderMutationsWinsAppliesTheMostSpecificLevelLast() throws InvalidResourceException {
        RouteEntry r = RouteTranslator.translate(allLevels(true)).virtualHosts().get(0).routes().get(0);

        assertThat(requestLevels(r.targets().get(0).headerMutations())).containsExactly("x-req-rc/x-req-gone-rc",
                "x-req-vh/x-req-gone-vh", "x-req-route/x-req-gone-route", "x-req-cw/x-req-gone-cw");
        assertThat(responseLevels(r.targets().get(1).headerMutations())).containsExactly("rc/x-resp-gone-rc",
                "vh/x-resp-gone-vh", "route/x-resp-gone-route");
    }

    @Test
    void aRouteWithoutMutationsSharesNone() throws InvalidResourceException {
        RouteEntry r = RouteTranslator.translate(RouteConfiguration.newBuilder().setName("rc").addVirtualHosts(VirtualHost
                .newBuilder().setName("vh").addDomains("*").addRoutes(Route.newBuilder().setMatch(RouteMatch.newBuilder()
                        .setPrefix("/")).setRoute(RouteAction.newBuilder().setCluster("c")))).build())
                .virtualHosts().get(0).routes().get(0);

        assertThat(r.headerMutations()).isSameAs(HeaderMutations.NONE);
        assertThat(r.targets().get(0).headerMutations()).isSameAs(HeaderMutations.NONE);
    }

    @Test
    void theDeprecatedAppendChoosesAppendOrOverwrite() throws InvalidResourceException {
        HeaderValueOption append = HeaderValueOption.newBuilder().setHeader(HeaderValue.newBuilder().setKey("a").setValue("1"))
                .setAppend(BoolValue.of(true)).build();
        HeaderValueOption overwrite = append.toBuilder().setAppend(BoolValue.of(false)).build();
        RouteEntry r = translateRoute(b -> b.addRequestHeadersToAdd(append).addRequestHeadersToAdd(overwrite));

        assertThat(r.targets().get(0).headerMutations().request().get(0).add()).extracting(HeaderMutation.Add::action)
                .containsExactly(HeaderMutation.AppendAction.APPEND_IF_EXISTS_OR_ADD,
                        HeaderMutation.AppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
    }

    @Test
    void aDirectResponseRouteKeepsItsMutations() throws InvalidResourceException {
        RouteEntry r = RouteTranslator.translate(RouteConfiguration.newBuilder().setName("rc").addVirtualHosts(VirtualHost
                .newBuilder().setName("vh").addDomains("*").addRoutes(Route.newBuilder().setMatch(RouteMatch.newBuilder()
                        .setPrefix("/")).setDirectResponse(DirectResponseAction.newBuilder().setStatus(200))
                        .addResponseHeadersToAdd(option("x-direct", "yes", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))))
                .build()).virtualHosts().get(0).routes().get(0);

        assertThat(r.headerMutations().response()).hasSize(1);
    }

    @Test
    void theConfigDumpPrinterRendersTheFields() throws Exception {
        String json = XdsTypeRegistry.printer().print(allLevels(true));

        assertThat(json).contains("\"request_headers_to_add\"", "\"response_headers_to_remove\"",
                "\"most_specific_header_mutations_wins\": true", "\"append_action\": \"OVERWRITE_IF_EXISTS_OR_ADD\"");
    }

    // ---- refusals, each naming the field ----

    private static RouteEntry translateRoute(UnaryOperator<Route.Builder> edit) throws InvalidResourceException {
        Route.Builder route = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setCluster("c"));
        return RouteTranslator.translate(RouteConfiguration.newBuilder().setName("rc").addVirtualHosts(VirtualHost
                .newBuilder().setName("vh").addDomains("*").addRoutes(edit.apply(route))).build())
                .virtualHosts().get(0).routes().get(0);
    }

    private static void refused(UnaryOperator<Route.Builder> edit, String field, String... reason) {
        assertThatThrownBy(() -> translateRoute(edit)).isInstanceOf(InvalidResourceException.class)
                .satisfies(e -> {
                    InvalidResourceException ire = (InvalidResourceException) e;
                    assertThat(ire.resourceName()).isEqualTo("rc");
                    assertThat(ire.field()).isEqualTo(field);
                    assertThat(ire.reason()).contains(reason);
                });
    }

    private static final String ROUTE = "virtual_hosts[0].routes[0]";

    @Test
    void anInvalidHeaderNameIsRefused() {
        refused(b -> b.addRequestHeadersToAdd(option("bad name", "v", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)),
                ROUTE + ".request_headers_to_add[0].header.key", "not a valid header name: 'bad name'");
        refused(b -> b.addResponseHeadersToRemove("x-ok").addResponseHeadersToRemove("x(bad)"),
                ROUTE + ".response_headers_to_remove[1]", "not a valid header name");
        refused(b -> b.addRequestHeadersToAdd(option("", "v", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)),
                ROUTE + ".request_headers_to_add[0].header.key", "not a valid header name");
    }

    @Test
    void pseudoHeadersAndHostCanBeNeitherAddedNorRemoved() {
        refused(b -> b.addRequestHeadersToAdd(option(":path", "/x", HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)),
                ROUTE + ".request_headers_to_add[0].header.key", "pseudo-header ':path' may not be modified");
        refused(b -> b.addRequestHeadersToRemove(":authority"), ROUTE + ".request_headers_to_remove[0]",
                "pseudo-header ':authority' may not be removed");
        refused(b -> b.addResponseHeadersToAdd(option("Host", "h", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)),
                ROUTE + ".response_headers_to_add[0].header.key", "host may not be modified");
        refused(b -> b.addRequestHeadersToRemove("host"), ROUTE + ".request_headers_to_remove[0]", "host may not be removed");
    }

    @Test
    void anUnsupportedOperatorIsRefusedByName() {
        refused(b -> b.addRequestHeadersToAdd(option("x-a", "id=%REQ(x-id)%", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)),
                ROUTE + ".request_headers_to_add[0].header.value", "operator %REQ% is not supported");
        refused(b -> b.addResponseHeadersToAdd(option("x-a", "%UPSTREAM_METADATA([\"a\",\"b\"])%",
                        HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)),
                ROUTE + ".response_headers_to_add[0].header.value", "operator %UPSTREAM_METADATA% is not supported");
        refused(b -> b.addResponseHeadersToAdd(option("x-a", "%START_TIME(%s)%", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)),
                ROUTE + ".response_headers_to_add[0].header.value", "%START_TIME% takes no arguments");
        refused(b -> b.addRequestHeadersToAdd(option("x-a", "100%", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)),
                ROUTE + ".request_headers_to_add[0].header.value", "a literal % is written %%");
        refused(b -> b.addRequestHeadersToAdd(option("x-a", "%protocol%", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)),
                ROUTE + ".request_headers_to_add[0].header.value", "no %OPERATOR% at position 0");
    }

    @Test
    void appendTogetherWithAppendActionIsRefused() {
        refused(b -> b.addRequestHeadersToAdd(option("x-a", "v", HeaderAppendAction.ADD_IF_ABSENT).toBuilder()
                .setAppend(BoolValue.of(true))), ROUTE + ".request_headers_to_add[0].append", "append and append_action are both set");
    }

    @Test
    void otherMalformedOptionsAreRefused() {
        refused(b -> b.addRequestHeadersToAdd(HeaderValueOption.getDefaultInstance()),
                ROUTE + ".request_headers_to_add[0].header", "required");
        refused(b -> b.addRequestHeadersToAdd(option("x-a", "a\r\nx-b: c", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)),
                ROUTE + ".request_headers_to_add[0].header.value", "must not contain NUL, CR or LF");
        refused(b -> b.addRequestHeadersToAdd(HeaderValueOption.newBuilder().setHeader(HeaderValue.newBuilder().setKey("x-a")
                .setRawValue(ByteString.copyFromUtf8("v")))), ROUTE + ".request_headers_to_add[0].header.raw_value", "not supported");
        refused(b -> b.addRequestHeadersToAdd(option("x-a", "v", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD).toBuilder()
                .setAppendActionValue(9)), ROUTE + ".request_headers_to_add[0].append_action", "unknown value 9");
    }

    @Test
    void refusalsNameTheLevel() {
        RouteConfiguration base = allLevels(false);
        HeaderValueOption bad = option("x-a", "%BOGUS%", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD);
        assertThatThrownBy(() -> RouteTranslator.translate(base.toBuilder().addResponseHeadersToAdd(bad).build()))
                .hasMessageContaining("response_headers_to_add[1].header.value: operator %BOGUS% is not supported");
        assertThatThrownBy(() -> RouteTranslator.translate(base.toBuilder().setVirtualHosts(0, base.getVirtualHosts(0)
                .toBuilder().addRequestHeadersToRemove(":path")).build()))
                .hasMessageContaining("virtual_hosts[0].request_headers_to_remove[1]");
        var route = base.getVirtualHosts(0).getRoutes(0);
        var split = route.getRoute().getWeightedClusters();
        var badRoute = route.toBuilder().setRoute(route.getRoute().toBuilder().setWeightedClusters(split.toBuilder()
                .setClusters(1, split.getClusters(1).toBuilder().addRequestHeadersToAdd(bad)))).build();
        assertThatThrownBy(() -> RouteTranslator.translate(base.toBuilder().setVirtualHosts(0, base.getVirtualHosts(0)
                .toBuilder().setRoutes(0, badRoute)).build()))
                .hasMessageContaining("virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].request_headers_to_add[0]"
                        + ".header.value: operator %BOGUS% is not supported");
    }
}
