package io.isthmus.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.xds.XdsResourceException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unsupported or invalid resources are rejected with type, name and field, and the previous config keeps serving. */
class XdsSupportTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        dp = mesh.dataPlane(mesh.workload("east", "default", "productpage"));
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void anUnsupportedLbPolicyIsANackNamingTheField() {
        Cluster typedPolicy = Xds.edsCluster("c", null, List.of()).toBuilder()
                .setLbPolicy(Cluster.LbPolicy.LOAD_BALANCING_POLICY_CONFIG).build();

        assertThatThrownBy(() -> dp.clusters().apply(Map.of("c", typedPolicy), "2"))
                .isInstanceOfSatisfying(XdsResourceException.class, e -> {
                    assertThat(e.resourceName()).isEqualTo("c");
                    assertThat(e.field()).isEqualTo("lb_policy");
                    assertThat(e.typeUrl()).endsWith("envoy.config.cluster.v3.Cluster");
                });
    }

    @Test
    void aRejectedUpdateKeepsTheLastGoodConfigServing() {
        AppServer app = mesh.app("app");
        dp.clusters().apply(Map.of("app", Xds.staticCluster("app", "127.0.0.1", app.port)), "1");
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "80")), "1");
        dp.routes().apply(Map.of("80", Xds.routes("80", Xds.vhost("app", List.of("app"), Xds.prefixRoute("/", "app")))), "1");
        assertThat(mesh.get("127.0.0.2", port, "app", "/").status()).isEqualTo(200);

        RouteConfiguration bad = Xds.routes("80", Xds.vhost("app", List.of("app"), Xds.prefixRoute("/", "app")
                .toBuilder().setMatch(io.envoyproxy.envoy.config.route.v3.RouteMatch.newBuilder()
                        .setSafeRegex(io.envoyproxy.envoy.type.matcher.v3.RegexMatcher.newBuilder().setRegex("(unclosed")))
                .build()));
        assertThatThrownBy(() -> dp.routes().apply(Map.of("80", bad), "2"))
                .isInstanceOfSatisfying(XdsResourceException.class,
                        e -> assertThat(e.field()).isEqualTo("virtual_hosts[0].routes[0].match.safe_regex"));
        Cluster bogus = Xds.edsCluster("app", null, List.of()).toBuilder().setType(Cluster.DiscoveryType.LOGICAL_DNS).build();
        assertThatThrownBy(() -> dp.clusters().apply(Map.of("app", bogus), "2")).isInstanceOf(XdsResourceException.class);

        assertThat(mesh.get("127.0.0.2", port, "app", "/").status()).isEqualTo(200);
    }

    @Test
    void unknownHttpFiltersAreRefusedUnlessOptional() {
        var listener = Xds.inboundHttp("in", "127.0.0.3", TestMesh.freePort(), "x", true, List.of(
                io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.newBuilder()
                        .setName("envoy.filters.http.lua").setTypedConfig(com.google.protobuf.Any.pack(
                                com.google.protobuf.Empty.getDefaultInstance())).build()));

        assertThatThrownBy(() -> dp.listeners().apply(Map.of("in", listener), "1"))
                .isInstanceOfSatisfying(XdsResourceException.class, e -> assertThat(e.field())
                        .contains("http_filters[0]"));
        assertThat(dp.activeListeners()).isEmpty();
    }

    @Test
    void aListenerThatCannotBindIsRejectedAndNothingElseOfTheUpdateStays() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.2"))) {
            int free = TestMesh.freePort();
            assertThatThrownBy(() -> dp.listeners().apply(Map.of(
                    "a", Xds.outboundHttp("a", "127.0.0.2", taken.getLocalPort(), "80"),
                    "b", Xds.outboundHttp("b", "127.0.0.2", free, "80")), "1"))
                    .isInstanceOfSatisfying(XdsResourceException.class, e -> assertThat(e.resourceName()).isEqualTo("a"));
            assertThat(dp.activeListeners()).isEmpty();
        }
    }
}
