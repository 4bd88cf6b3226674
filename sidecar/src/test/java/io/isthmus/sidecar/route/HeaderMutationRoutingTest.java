package io.isthmus.sidecar.route;

import static io.isthmus.sidecar.route.HeaderMutationTranslatorTest.option;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Route header mutation through a sidecar with real sockets: what the upstream receives, what the client receives
 * (from upstreams, direct responses and local replies), per weighted cluster, the order of the levels, retries,
 * mirrors and HTTP/2. The upstreams echo the request headers they received as {@code name: value} lines.
 */
class HeaderMutationRoutingTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;
    int port;
    int v1;
    int v2;
    AppServer bad;
    AppServer shadow;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        v1 = echo("v1");
        v2 = echo("v2");
        bad = mesh.app("bad");
        bad.status.set(503);
        shadow = mesh.app("shadow");
        dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        Cluster h2 = Xds.staticCluster("v1h2", "127.0.0.1", v1).toBuilder().putTypedExtensionProtocolOptions(
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Xds.any(HttpProtocolOptions.newBuilder()
                        .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                                .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance())).build())).build();
        Cluster flaky = Xds.staticCluster("flaky", "127.0.0.1", bad.port).toBuilder().setLoadAssignment(ClusterLoadAssignment
                .newBuilder().setClusterName("flaky").addEndpoints(LocalityLbEndpoints.newBuilder()
                        .addLbEndpoints(Xds.lbEndpoint("127.0.0.1", bad.port, 1)).addLbEndpoints(Xds.lbEndpoint("127.0.0.1", v2, 1))))
                .build();
        Cluster empty = Xds.staticCluster("empty", "127.0.0.1", 1).toBuilder()
                .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName("empty")).build();
        dp.clusters().apply(Map.of("v1", Xds.staticCluster("v1", "127.0.0.1", v1), "v2", Xds.staticCluster("v2", "127.0.0.1", v2),
                "v1h2", h2, "flaky", flaky, "empty", empty, "shadow", Xds.staticCluster("shadow", "127.0.0.1", shadow.port)), "1");
        port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "80")), "1");
        dp.routes().apply(Map.of("80", routes(false)), "1");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    /** An upstream on 127.0.0.1 answering {@code served-by <name> <version>} and the request headers, one a line. */
    private int echo(String name) {
        int p = TestMesh.freePort();
        TestMesh.await(mesh.vertx.createHttpServer().requestHandler(req -> {
            StringBuilder b = new StringBuilder("served-by: " + name + " " + req.version() + "\n");
            req.headers().forEach((k, v) -> b.append(k.toLowerCase(Locale.ROOT)).append(": ").append(v).append('\n'));
            req.response().putHeader("x-served-by", name).putHeader("x-upstream-only", "yes").end(b.toString());
        }).listen(p, "127.0.0.1"));
        return p;
    }

    /** The values of a header as an echo upstream received it, in order. */
    private static List<String> received(TestMesh.Reply r, String name) {
        return Arrays.stream(r.body().split("\n")).filter(l -> l.startsWith(name + ": "))
                .map(l -> l.substring(name.length() + 2)).toList();
    }

    private static Route.Builder route(String prefix) {
        return Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix(prefix));
    }

    /** A route to {@code cluster} with every kind of mutation. */
    private static Route mutating(String prefix, String cluster) {
        return route(prefix).setRoute(RouteAction.newBuilder().setCluster(cluster))
                .addRequestHeadersToAdd(option("x-added", "route", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))
                .addRequestHeadersToAdd(option("x-set", "new", HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .addRequestHeadersToAdd(option("x-keep", "default", HeaderAppendAction.ADD_IF_ABSENT))
                .addRequestHeadersToAdd(option("x-if", "no", HeaderAppendAction.OVERWRITE_IF_EXISTS))
                .addRequestHeadersToAdd(option("x-local", "%DOWNSTREAM_LOCAL_ADDRESS%", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))
                .addRequestHeadersToAdd(option("x-proto", "%PROTOCOL% 100%%", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))
                .addRequestHeadersToAdd(option("x-level", "route", HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .addRequestHeadersToAdd(option("x-trail", "route", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))
                .addRequestHeadersToRemove("X-Secret")
                .addResponseHeadersToAdd(option("x-route", "r", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))
                .addResponseHeadersToAdd(option("x-upstream", "%UPSTREAM_REMOTE_ADDRESS%", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))
                .addResponseHeadersToAdd(option("x-level-resp", "route", HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .addResponseHeadersToRemove("x-served-by").addResponseHeadersToRemove("x-envoy-upstream-service-time")
                .build();
    }

    private static WeightedCluster.ClusterWeight.Builder weighted(String cluster) {
        return WeightedCluster.ClusterWeight.newBuilder().setName(cluster).setWeight(UInt32Value.of(50))
                .addRequestHeadersToAdd(option("x-subset", cluster, HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .addResponseHeadersToAdd(option("x-from", cluster, HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
    }

    private static RouteConfiguration routes(boolean mostSpecificWins) {
        Route split = route("/split").setRoute(RouteAction.newBuilder().setWeightedClusters(WeightedCluster.newBuilder()
                .addClusters(weighted("v1")).addClusters(weighted("v2")))).build();
        Route retry = route("/retry").setRoute(RouteAction.newBuilder().setCluster("flaky").setRetryPolicy(Xds.meshRetry()))
                .addRequestHeadersToAdd(option("x-added", "once", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)).build();
        Route mirror = route("/mirror").setRoute(RouteAction.newBuilder().setCluster("v1").addRequestMirrorPolicies(
                        RouteAction.RequestMirrorPolicy.newBuilder().setCluster("shadow")))
                .addRequestHeadersToAdd(option("x-added", "mirrored", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)).build();
        Route direct = route("/direct").setDirectResponse(DirectResponseAction.newBuilder().setStatus(200)
                        .setBody(io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder().setInlineString("{}")))
                .addResponseHeadersToAdd(option("content-type", "application/json", HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .build();
        Route abort = route("/abort").setRoute(RouteAction.newBuilder().setWeightedClusters(WeightedCluster.newBuilder()
                        .addClusters(weighted("v1")).addClusters(weighted("v2"))))
                .putTypedPerFilterConfig("envoy.filters.http.fault", Xds.any(HTTPFault.newBuilder().setAbort(FaultAbort
                        .newBuilder().setHttpStatus(418).setPercentage(FractionalPercent.newBuilder().setNumerator(100))).build()))
                .build();
        Route noHealthy = route("/nohost").setRoute(RouteAction.newBuilder().setCluster("empty"))
                .addResponseHeadersToAdd(option("x-local", "reply", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)).build();
        VirtualHost vh = Xds.vhost("svc", List.of("svc"), mutating("/mutate", "v1"), mutating("/h2", "v1h2"), split, retry,
                        mirror, direct, abort, noHealthy).toBuilder()
                .setIncludeRequestAttemptCount(true)
                .addRequestHeadersToAdd(option("x-level", "vh", HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .addRequestHeadersToAdd(option("x-trail", "vh", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))
                .addResponseHeadersToAdd(option("x-level-resp", "vh", HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)).build();
        return Xds.routes("80", vh).toBuilder().setMostSpecificHeaderMutationsWins(mostSpecificWins)
                .addRequestHeadersToAdd(option("x-level", "rc", HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .addRequestHeadersToAdd(option("x-trail", "rc", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))
                .addResponseHeadersToAdd(option("x-level-resp", "rc", HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)).build();
    }

    private TestMesh.Reply get(String path, Map<String, String> headers) {
        return mesh.send(HttpMethod.GET, "127.0.0.2", port, "svc", path, headers, null);
    }

    @Test
    void theUpstreamReceivesAddedOverwrittenAndRemovedRequestHeaders() {
        TestMesh.Reply r = get("/mutate", Map.of("x-added", "client", "x-set", "old", "x-keep", "mine", "X-Secret", "s"));

        assertThat(r.status()).isEqualTo(200);
        assertThat(received(r, "x-added")).containsExactly("client", "route");
        assertThat(received(r, "x-set")).containsExactly("new");
        assertThat(received(r, "x-keep")).containsExactly("mine");
        assertThat(received(r, "x-if")).as("overwrite-if-exists of an absent header").isEmpty();
        assertThat(received(r, "x-secret")).isEmpty();
        assertThat(received(r, "x-local")).containsExactly("127.0.0.2:" + port);
        assertThat(received(r, "x-proto")).containsExactly("HTTP/1.1 100%");
        assertThat(get("/mutate", Map.of()).body()).as("absent ones are added").contains("x-keep: default\n");
    }

    @Test
    void theClientReceivesAddedAndRemovedResponseHeaders() {
        TestMesh.Reply r = get("/mutate", Map.of());

        assertThat(r.header("x-route")).isEqualTo("r");
        assertThat(r.header("x-upstream")).isEqualTo("127.0.0.1:" + v1);
        assertThat(r.header("x-upstream-only")).isEqualTo("yes");
        assertThat(r.header("x-served-by")).as("removed from the upstream's answer").isNull();
        assertThat(r.header("x-envoy-upstream-service-time")).as("the router's own header is removable").isNull();
    }

    @Test
    void byDefaultTheOuterLevelWinsAndMostSpecificHeaderMutationsWinsReversesIt() {
        TestMesh.Reply outer = get("/mutate", Map.of("x-level", "client"));
        assertThat(received(outer, "x-level")).containsExactly("rc");
        assertThat(received(outer, "x-trail")).containsExactly("route", "vh", "rc");
        assertThat(outer.response().headers().getAll("x-level-resp")).containsExactly("rc");

        dp.routes().apply(Map.of("80", routes(true)), "2");
        TestMesh.Reply inner = get("/mutate", Map.of("x-level", "client"));
        assertThat(received(inner, "x-level")).containsExactly("route");
        assertThat(received(inner, "x-trail")).containsExactly("rc", "vh", "route");
        assertThat(inner.response().headers().getAll("x-level-resp")).containsExactly("route");
    }

    @Test
    void aWeightedClustersHeadersGoOnlyWithItsRequests() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 24; i++) {
            TestMesh.Reply r = get("/split", Map.of());
            String servedBy = received(r, "served-by").get(0).split(" ")[0];
            seen.add(servedBy);
            assertThat(received(r, "x-subset")).containsExactly(servedBy);
            assertThat(r.header("x-from")).isEqualTo(servedBy);
            assertThat(r.header("x-level-resp")).as("the outer levels apply to every target").isEqualTo("rc");
        }
        assertThat(seen).containsExactlyInAnyOrder("v1", "v2");
    }

    @Test
    void aRetriedRequestCarriesTheMutationOnce() {
        boolean retried = false;
        for (int i = 0; i < 6; i++) {
            TestMesh.Reply r = get("/retry", Map.of());
            assertThat(r.status()).isEqualTo(200);
            assertThat(received(r, "x-added")).containsExactly("once");
            retried |= received(r, "x-envoy-attempt-count").equals(List.of("2"));
        }
        assertThat(retried).as("some request reached v2 on its retry").isTrue();
        assertThat(bad.hits.get()).isPositive();
        assertThat(bad.lastHeaders.get().getAll("x-added")).containsExactly("once");
    }

    @Test
    void theMirrorReceivesTheMutatedRequest() {
        assertThat(received(get("/mirror", Map.of()), "x-added")).containsExactly("mirrored");
        await().atMost(Duration.ofSeconds(30)).until(() -> shadow.hits.get() == 1);
        assertThat(shadow.lastHeaders.get().getAll("x-added")).containsExactly("mirrored");
    }

    @Test
    void directResponsesAndLocalRepliesGetTheRoutesResponseHeaders() {
        TestMesh.Reply direct = get("/direct", Map.of());
        assertThat(direct.body()).isEqualTo("{}");
        assertThat(direct.header("content-type")).as("the route's content type is kept").isEqualTo("application/json");
        assertThat(direct.header("x-level-resp")).isEqualTo("rc");

        TestMesh.Reply noHealthy = get("/nohost", Map.of());
        assertThat(noHealthy.status()).isEqualTo(503);
        assertThat(noHealthy.header("x-isthmus-response-flags")).isEqualTo("UH");
        assertThat(noHealthy.header("x-local")).isEqualTo("reply");
        assertThat(noHealthy.header("x-level-resp")).isEqualTo("rc");

        TestMesh.Reply aborted = get("/abort", Map.of());
        assertThat(aborted.status()).isEqualTo(418);
        assertThat(aborted.header("x-from")).as("the weighted cluster is chosen with the route, before the fault filter")
                .isIn("v1", "v2");

        TestMesh.Reply noRoute = mesh.send(HttpMethod.GET, "127.0.0.2", port, "elsewhere", "/", Map.of(), null);
        assertThat(noRoute.header("x-isthmus-response-flags")).isEqualTo("NR");
        assertThat(noRoute.header("x-level-resp")).as("no route, no route headers (as Envoy)").isNull();
    }

    @Test
    void http2DownstreamAndUpstreamAreMutatedAlike() {
        HttpClientAgent h2 = mesh.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
        try {
            TestMesh.Reply r = TestMesh.await(h2.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.2")
                    .setPort(port).setURI("/h2")).compose(req -> {
                        req.authority(HostAndPort.create("svc", -1));
                        req.putHeader("x-secret", "s").putHeader("x-set", "old");
                        return req.send().compose(resp -> resp.body().map(b -> new TestMesh.Reply(resp.statusCode(), resp,
                                b.toString())));
                    }));

            assertThat(r.response().version()).isEqualTo(HttpVersion.HTTP_2);
            assertThat(received(r, "served-by")).containsExactly("v1 HTTP_2");
            assertThat(received(r, "x-added")).containsExactly("route");
            assertThat(received(r, "x-set")).containsExactly("new");
            assertThat(received(r, "x-secret")).isEmpty();
            assertThat(received(r, "x-proto")).containsExactly("HTTP/2 100%");
            assertThat(r.header("x-route")).isEqualTo("r");
            assertThat(r.header("x-served-by")).isNull();
        } finally {
            TestMesh.await(h2.close());
        }
    }

    @Test
    void aMalformedOptionIsRefusedAndTheLastGoodConfigStays() {
        RouteConfiguration good = routes(false);
        RouteConfiguration bad = good.toBuilder().addResponseHeadersToAdd(option("x-when", "%START_TIME(%s)%",
                HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)).build();

        assertThatThrownBy(() -> dp.routes().apply(Map.of("80", bad), "2"))
                .hasMessageContaining("response_headers_to_add[1].header.value");
        assertThat(received(get("/mutate", Map.of()), "x-added")).containsExactly("route");
    }
}
