package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routing by Host (with and without port, wildcards), path (prefix, exact, regex), headers and weights. */
class RoutingTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;
    int port;
    AppServer v1;
    AppServer v2;
    AppServer ratings;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        v1 = mesh.app("v1");
        v2 = mesh.app("v2");
        ratings = mesh.app("ratings");
        dp = mesh.dataPlane(mesh.workload("east", "default", "productpage"));
        dp.clusters().apply(Map.of(
                "v1", Xds.staticCluster("v1", "127.0.0.1", v1.port),
                "v2", Xds.staticCluster("v2", "127.0.0.1", v2.port),
                "ratings", Xds.staticCluster("ratings", "127.0.0.1", ratings.port)), "1");
        port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "9080")), "1");
        Route exact = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPath("/exact"))
                .setRoute(RouteAction.newBuilder().setCluster("v2")).build();
        Route regex = Route.newBuilder().setMatch(RouteMatch.newBuilder()
                        .setSafeRegex(RegexMatcher.newBuilder().setRegex("/items/[0-9]+")))
                .setRoute(RouteAction.newBuilder().setCluster("v2")).build();
        Route header = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/")
                        .addHeaders(HeaderMatcher.newBuilder().setName("end-user").setExactMatch("jason")))
                .setRoute(RouteAction.newBuilder().setCluster("v2")).build();
        Route canary = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/canary"))
                .setRoute(RouteAction.newBuilder().setWeightedClusters(WeightedCluster.newBuilder()
                        .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName("v1").setWeight(UInt32Value.of(80)))
                        .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName("v2").setWeight(UInt32Value.of(20)))))
                .build();
        dp.routes().apply(Map.of("9080", Xds.routes("9080",
                Xds.vhost("reviews", List.of("reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local:9080",
                        "reviews", "reviews:9080"), exact, regex, header, canary, Xds.prefixRoute("/", "v1")),
                Xds.vhost("ratings", List.of("*.ratings.example", "ratings*"), Xds.prefixRoute("/", "ratings")))), "1");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private String body(String authority, String path, Map<String, String> headers) {
        return mesh.send(HttpMethod.GET, "127.0.0.2", port, authority, path, headers, null).body();
    }

    @Test
    void hostWithOrWithoutPortPicksTheVirtualHost() {
        assertThat(body("reviews.default.svc.cluster.local:9080", "/", Map.of())).isEqualTo("v1");
        assertThat(body("reviews.default.svc.cluster.local", "/", Map.of())).isEqualTo("v1");
        assertThat(body("reviews:9080", "/", Map.of())).isEqualTo("v1");
        assertThat(body("api.ratings.example", "/", Map.of())).isEqualTo("ratings");
        assertThat(body("ratings-v2", "/", Map.of())).isEqualTo("ratings");
    }

    @Test
    void unknownHostIs404WithNr() {
        TestMesh.Reply r = mesh.get("127.0.0.2", port, "details:9080", "/");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.header("x-isthmus-response-flags")).isEqualTo("NR");
    }

    @Test
    void pathAndHeaderMatches() {
        assertThat(body("reviews", "/exact", Map.of())).isEqualTo("v2");
        assertThat(body("reviews", "/exact/not", Map.of())).isEqualTo("v1");
        assertThat(body("reviews", "/items/42", Map.of())).isEqualTo("v2");
        assertThat(body("reviews", "/items/abc", Map.of())).isEqualTo("v1");
        assertThat(body("reviews", "/anything", Map.of("end-user", "jason"))).isEqualTo("v2");
        assertThat(body("reviews", "/anything", Map.of("end-user", "ann"))).isEqualTo("v1");
    }

    @Test
    void weightedClustersSplitTraffic() {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            seen.merge(body("reviews", "/canary", Map.of()), 1, Integer::sum);
        }
        assertThat(seen.get("v1")).isBetween(270, 370);
        assertThat(seen.get("v2")).isBetween(30, 130);
    }
}
