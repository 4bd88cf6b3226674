package io.isthmus.sidecar.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.http.HttpServer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STRICT_DNS clusters: host names in {@code load_assignment} resolved by the proxy (the system
 * resolver for {@code localhost}, IP literals as they are), re-resolved every {@code dns_refresh_rate}
 * with endpoints following the answers, and the last good endpoints kept while resolution fails.
 */
class DnsClusterTest {

    static final String CLUSTER = "outbound|443||external.test";
    static final String HOST = "external.test";

    @TempDir
    Path dir;
    TestMesh mesh;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    static Cluster dnsCluster(String address, int port, Duration refresh) {
        return Cluster.newBuilder().setName(CLUSTER).setType(Cluster.DiscoveryType.STRICT_DNS)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_ONLY)
                .setDnsRefreshRate(com.google.protobuf.Duration.newBuilder().setNanos((int) refresh.toNanos()))
                .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName(CLUSTER)
                        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(LbEndpoint.newBuilder()
                                .setEndpoint(Endpoint.newBuilder().setAddress(Xds.address(address, port))))))
                .build();
    }

    /** A data plane with an outbound listener routing {@code external.test} to the DNS cluster. */
    int proxy(DataPlane dp, Cluster cluster) {
        dp.clusters().apply(Map.of(cluster.getName(), cluster), "1");
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "443")), "1");
        dp.routes().apply(Map.of("443", Xds.routes("443", Xds.vhost("external", List.of(HOST),
                io.envoyproxy.envoy.config.route.v3.Route.newBuilder()
                        .setMatch(io.envoyproxy.envoy.config.route.v3.RouteMatch.newBuilder().setPrefix("/"))
                        .setRoute(RouteAction.newBuilder().setCluster(CLUSTER)).build()))), "1");
        return port;
    }

    HttpServer server(String host, int port, String name) {
        HttpServer s = mesh.vertx.createHttpServer().requestHandler(r -> r.response().end(name));
        TestMesh.await(s.listen(port, host));
        return s;
    }

    @Test
    void localhostIsResolvedBySystemResolver() {
        var app = mesh.app("local");
        DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        int port = proxy(dp, dnsCluster("localhost", app.port, Duration.ofSeconds(5)));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(mesh.get("127.0.0.2", port, HOST, "/").body()).isEqualTo("local"));
        assertThat(dp.cluster(CLUSTER).orElseThrow().endpoints())
                .extracting(e -> e.address().toString()).containsExactly("127.0.0.1:" + app.port);
    }

    @Test
    void anIpLiteralIsUsedAsItIs() {
        var app = mesh.app("literal");
        DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        dp.resolveHostsWith(h -> {
            throw new UnknownHostException("no lookup expected for " + h);
        });
        int port = proxy(dp, dnsCluster("127.0.0.1", app.port, Duration.ofSeconds(5)));

        assertThat(mesh.get("127.0.0.2", port, HOST, "/").body()).isEqualTo("literal");
    }

    @Test
    void reResolutionFollowsTheAnswersAndKeepsTheLastGoodOnFailure() throws Exception {
        int appPort = TestMesh.freePort();
        server("127.0.0.1", appPort, "first");
        server("127.0.0.3", appPort, "second");
        AtomicReference<Object> answer = new AtomicReference<>(List.of(InetAddress.getByName("127.0.0.1")));
        DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        dp.resolveHostsWith(h -> {
            Object a = answer.get();
            if (!h.equals(HOST) || a instanceof UnknownHostException) {
                throw new UnknownHostException(h);
            }
            @SuppressWarnings("unchecked")
            List<InetAddress> list = (List<InetAddress>) a;
            return list;
        });
        int port = proxy(dp, dnsCluster(HOST, appPort, Duration.ofMillis(100)));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(mesh.get("127.0.0.2", port, HOST, "/").body()).isEqualTo("first"));

        answer.set(List.of(InetAddress.getByName("::1"), InetAddress.getByName("127.0.0.3")));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(mesh.get("127.0.0.2", port, HOST, "/").body()).isEqualTo("second"));
        assertThat(dp.cluster(CLUSTER).orElseThrow().endpoints()).as("V4_ONLY drops the IPv6 answer")
                .extracting(e -> e.address().toString()).containsExactly("127.0.0.3:" + appPort);

        answer.set(new UnknownHostException(HOST));
        Counter failures = dp.telemetry().registry().find("isthmus_dns_resolutions").tag("cluster", CLUSTER)
                .tag("result", "failure").counter();
        await().atMost(Duration.ofSeconds(30)).until(() -> failures.count() >= 2);
        assertThat(mesh.get("127.0.0.2", port, HOST, "/").body()).as("last good endpoints kept").isEqualTo("second");
        assertThat(dp.cluster(CLUSTER).orElseThrow().endpoints()).hasSize(1);

        answer.set(List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("127.0.0.3")));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(dp.cluster(CLUSTER).orElseThrow().endpoints()).hasSize(2));
    }

    @Test
    void aLogicalDnsClusterUsesTheFirstAddressOnly() throws Exception {
        var app = mesh.app("logical");
        DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        dp.resolveHostsWith(h -> List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("127.0.0.3")));
        int port = proxy(dp, dnsCluster(HOST, app.port, Duration.ofSeconds(5)).toBuilder()
                .setType(Cluster.DiscoveryType.LOGICAL_DNS).build());

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(mesh.get("127.0.0.2", port, HOST, "/").body()).isEqualTo("logical"));
        assertThat(dp.cluster(CLUSTER).orElseThrow().endpoints())
                .extracting(e -> e.address().toString()).containsExactly("127.0.0.1:" + app.port);
    }

    @Test
    void aLogicalDnsClusterWithTwoEndpointsIsRefused() {
        DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        Cluster c = dnsCluster(HOST, 443, Duration.ofSeconds(5)).toBuilder().setType(Cluster.DiscoveryType.LOGICAL_DNS)
                .setLoadAssignment(dnsCluster(HOST, 443, Duration.ofSeconds(5)).getLoadAssignment().toBuilder()
                        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(LbEndpoint.newBuilder()
                                .setEndpoint(Endpoint.newBuilder().setAddress(Xds.address("other.test", 443))))))
                .build();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dp.clusters().apply(Map.of(CLUSTER, c), "1"))
                .hasMessageContaining("load_assignment").hasMessageContaining("exactly one endpoint");
    }
}
