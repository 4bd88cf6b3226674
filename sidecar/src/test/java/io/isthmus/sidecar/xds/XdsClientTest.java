package io.isthmus.sidecar.xds;

import com.google.protobuf.ByteString;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.isthmus.mesh.XdsNames;
import io.isthmus.sidecar.bootstrap.HostPort;
import io.isthmus.sidecar.bootstrap.NodeInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.isthmus.sidecar.xds.XdsResourceType.CLUSTER;
import static io.isthmus.sidecar.xds.XdsResourceType.ENDPOINT;
import static io.isthmus.sidecar.xds.XdsResourceType.LISTENER;
import static io.isthmus.sidecar.xds.XdsResourceType.ROUTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The ADS client against java-control-plane's V3DiscoveryServer and SimpleCache as the control plane. */
class XdsClientTest {
    static final String REVIEWS = "reviews.default.svc.cluster.local";
    static final XdsClientOptions FAST = new XdsClientOptions(Duration.ofMillis(50), Duration.ofMillis(400), Duration.ofSeconds(5));

    final FakeControlPlane cp = new FakeControlPlane();
    final RecordingSink sink = new RecordingSink();
    final List<Map<String, Secret>> secrets = new CopyOnWriteArrayList<>();
    XdsClient client;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        cp.close();
    }

    XdsClient connect() {
        return connect(FAST);
    }

    XdsClient connect(XdsClientOptions options) {
        return connect(options, new SimpleMeterRegistry());
    }

    XdsClient connect(XdsClientOptions options, MeterRegistry meters) {
        NodeInfo node = new NodeInfo(Node.newBuilder().setId("sidecar~10.1.0.5~app-0.default~default.svc.cluster.local").build());
        ConfigApplier applier = new ConfigApplier(sink, (s, v) -> secrets.add(s), new ResourceStore(), Clock.systemUTC());
        client = new XdsClient(node, ControlPlaneChannel.open(new HostPort("127.0.0.1", cp.port()), Optional.empty(), "x"),
                applier, options, new Random(1), meters);
        client.start();
        return client;
    }

    List<DiscoveryRequest> requestsOf(XdsResourceType t) {
        return cp.requests.stream().filter(r -> r.getTypeUrl().equals(t.typeUrl())).toList();
    }

    boolean acked(XdsResourceType t, String version) {
        return requestsOf(t).stream().anyMatch(r -> r.getVersionInfo().equals(version)
                && !r.getResponseNonce().isEmpty() && !r.hasErrorDetail());
    }

    @Test
    void appliesClustersEndpointsListenersRoutesAndAcksEach() throws Exception {
        cp.start(0);
        cp.set(Resources.service("1", REVIEWS, 9080, "10.1.0.7"));
        connect();

        client.initialConfig().get(30, TimeUnit.SECONDS);
        assertThat(sink.of(CLUSTER)).containsOnlyKeys("outbound|9080||" + REVIEWS);
        assertThat(sink.of(ENDPOINT)).containsOnlyKeys("outbound|9080||" + REVIEWS);
        assertThat(sink.of(LISTENER)).containsOnlyKeys(XdsNames.outboundListener(9080));
        assertThat(sink.of(ROUTE)).containsOnlyKeys("9080");
        await().atMost(Duration.ofSeconds(30)).until(() -> acked(CLUSTER, "1") && acked(ENDPOINT, "1")
                && acked(LISTENER, "1") && acked(ROUTE, "1"));
        assertThat(requestsOf(ENDPOINT)).anyMatch(r -> r.getResourceNamesList().contains("outbound|9080||" + REVIEWS));
        assertThat(requestsOf(ROUTE)).anyMatch(r -> r.getResourceNamesList().equals(List.of("9080")));
        assertThat(requestsOf(CLUSTER)).allMatch(r -> r.getNode().getId().startsWith("sidecar~"));
        assertThat(sink.order.indexOf(ENDPOINT)).as("clusters warm before listeners")
                .isLessThan(sink.order.indexOf(LISTENER));
        assertThat(client.store().state(CLUSTER).version()).isEqualTo("1");
    }

    @Test
    void nackNamesResourceAndFieldAndKeepsLastGoodConfig() throws Exception {
        cp.start(0);
        cp.set(Resources.service("1", REVIEWS, 9080, "10.1.0.7"));
        connect();
        client.initialConfig().get(30, TimeUnit.SECONDS);

        String bad = "outbound|9080||" + REVIEWS;
        Snapshot v2 = Snapshot.create(List.of(Resources.edsCluster(bad).toBuilder().setLbPolicy(Cluster.LbPolicy.MAGLEV).build()),
                List.of(Resources.endpoints(bad, "10.1.0.7", 9080)), List.of(Resources.outboundListener(9080)),
                List.of(Resources.route(9080, REVIEWS)), List.of(), "2");
        cp.set(v2);

        await().atMost(Duration.ofSeconds(30)).until(() -> requestsOf(CLUSTER).stream().anyMatch(DiscoveryRequest::hasErrorDetail));
        DiscoveryRequest nack = requestsOf(CLUSTER).stream().filter(DiscoveryRequest::hasErrorDetail).findFirst().orElseThrow();
        assertThat(nack.getVersionInfo()).as("NACK carries the last good version").isEqualTo("1");
        assertThat(nack.getErrorDetail().getMessage()).contains(bad).contains("lb_policy").contains("MAGLEV");
        assertThat(sink.versions.get(CLUSTER)).isEqualTo("1");
        assertThat(((Cluster) sink.of(CLUSTER).get(bad)).getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
        assertThat(client.store().state(CLUSTER).lastRejection()).hasValueSatisfying(r -> {
            assertThat(r.version()).isEqualTo("2");
            assertThat(r.detail()).contains("lb_policy");
        });

        cp.set(Resources.service("3", REVIEWS, 9080, "10.1.0.8"));
        await().atMost(Duration.ofSeconds(30)).until(() -> acked(CLUSTER, "3") && acked(ENDPOINT, "3"));
        assertThat(sink.of(ENDPOINT).get(bad).toString()).contains("10.1.0.8");
    }

    @Test
    void servesCachedConfigThroughAnOutageAndResyncsOnReconnect() throws Exception {
        cp.start(0);
        int port = cp.port();
        cp.set(Resources.service("1", REVIEWS, 9080, "10.1.0.7"));
        connect();
        client.initialConfig().get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(client::connected);

        cp.stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> !client.connected());
        assertThat(sink.of(CLUSTER)).hasSize(1);
        assertThat(sink.of(LISTENER)).hasSize(1);
        assertThat(sink.of(ENDPOINT).values().iterator().next().toString()).contains("10.1.0.7");

        cp.requests.clear();
        cp.start(port);
        cp.set(Resources.service("2", REVIEWS, 9080, "10.1.0.9"));
        await().atMost(Duration.ofSeconds(30)).until(() -> acked(ENDPOINT, "2") && acked(LISTENER, "2"));
        assertThat(client.connected()).isTrue();
        assertThat(sink.of(ENDPOINT).values().iterator().next().toString()).contains("10.1.0.9");
        assertThat(requestsOf(CLUSTER).get(0).getVersionInfo()).as("resubscribes with what it has").isEqualTo("1");
    }

    @Test
    void removedClusterDropsItsEndpointsAndUnsubscribes() throws Exception {
        cp.start(0);
        String ratings = "ratings.default.svc.cluster.local";
        String rc = Resources.clusterName(9080, ratings);
        String rv = Resources.clusterName(9080, REVIEWS);
        cp.set(Snapshot.create(List.of(Resources.edsCluster(rv), Resources.edsCluster(rc)),
                List.of(Resources.endpoints(rv, "10.1.0.7", 9080), Resources.endpoints(rc, "10.1.0.8", 9080)),
                List.of(Resources.outboundListener(9080)), List.of(Resources.route(9080, REVIEWS)), List.of(), "1"));
        connect();
        client.initialConfig().get(30, TimeUnit.SECONDS);
        assertThat(sink.of(ENDPOINT)).containsOnlyKeys(rv, rc);

        cp.set(Resources.service("2", REVIEWS, 9080, "10.1.0.7"));
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.of(CLUSTER).size() == 1 && sink.of(ENDPOINT).size() == 1);
        assertThat(sink.of(ENDPOINT)).containsOnlyKeys(rv);
        assertThat(client.subscriptions().get().get(ENDPOINT)).containsExactly(rv);
    }

    @Test
    void rootCaArrivesBySds() throws Exception {
        cp.start(0);
        Secret root = Secret.newBuilder().setName(XdsNames.ROOT_SECRET).setValidationContext(
                CertificateValidationContext.newBuilder().setTrustedCa(DataSource.newBuilder()
                        .setInlineBytes(ByteString.copyFromUtf8("pem")))).build();
        cp.set(Resources.service("1", REVIEWS, 9080, "10.1.0.7", List.of(root)));
        connect();
        await().atMost(Duration.ofSeconds(30)).until(() -> !secrets.isEmpty());
        assertThat(secrets.get(secrets.size() - 1)).containsOnlyKeys(XdsNames.ROOT_SECRET);
        assertThat(requestsOf(XdsResourceType.SECRET).get(0).getResourceNamesList()).containsExactly(XdsNames.ROOT_SECRET);
    }

    @Test
    void listenersAreAppliedAfterTheWarmingTimeoutWhenAClusterNeverGetsEndpoints() throws Exception {
        cp.start(0);
        String rv = Resources.clusterName(9080, REVIEWS);
        String lonely = Resources.clusterName(9080, "lonely.default.svc.cluster.local");
        cp.set(Snapshot.create(List.of(Resources.edsCluster(rv), Resources.edsCluster(lonely)),
                List.of(Resources.endpoints(rv, "10.1.0.7", 9080)),
                List.of(Resources.outboundListener(9080)), List.of(Resources.route(9080, REVIEWS)), List.of(), "1"));
        connect(new XdsClientOptions(Duration.ofMillis(50), Duration.ofMillis(400), Duration.ofMillis(300)));

        client.initialConfig().get(30, TimeUnit.SECONDS);
        assertThat(sink.of(LISTENER)).containsOnlyKeys(XdsNames.outboundListener(9080));
        assertThat(sink.of(CLUSTER)).containsOnlyKeys(rv, lonely);
    }

    @Test
    void aRouteToANewClusterWaitsForThatClustersEndpoints() throws Exception {
        cp.start(0);
        cp.set(Resources.service("1", REVIEWS, 9080, "10.1.0.7"));
        connect();
        client.initialConfig().get(30, TimeUnit.SECONDS);

        String ratings = "ratings.default.svc.cluster.local";
        String rv = Resources.clusterName(9080, REVIEWS);
        String rt = Resources.clusterName(9080, ratings);
        var routes = Resources.route(9080, REVIEWS).toBuilder()
                .addVirtualHosts(Resources.route(9080, ratings).getVirtualHosts(0)).build();
        cp.set(Snapshot.create(List.of(Resources.edsCluster(rv), Resources.edsCluster(rt)),
                List.of(Resources.endpoints(rv, "10.1.0.7", 9080), Resources.endpoints(rt, "10.1.0.9", 9080)),
                List.of(Resources.outboundListener(9080)), List.of(routes), List.of(), "2"));

        await().atMost(Duration.ofSeconds(30)).until(() -> sink.of(ROUTE).toString().contains(rt));
        int endpointsOfNewCluster = -1;
        int routeToNewCluster = -1;
        for (int i = 0; i < sink.history.size(); i++) {
            var e = sink.history.get(i);
            if (endpointsOfNewCluster < 0 && e.getKey() == ENDPOINT && e.getValue().containsKey(rt)) {
                endpointsOfNewCluster = i;
            }
            if (routeToNewCluster < 0 && e.getKey() == ROUTE && e.getValue().toString().contains(rt)) {
                routeToNewCluster = i;
            }
        }
        assertThat(endpointsOfNewCluster).isNotNegative().isLessThan(routeToNewCluster);
    }

    @Test
    void aRouteSentBeforeItsClusterWaitsForCdsAndEds() throws Exception {
        cp.start(0);
        cp.set(Resources.service("1", REVIEWS, 9080, "10.1.0.7"));
        MeterRegistry meters = new SimpleMeterRegistry();
        connect(FAST, meters);
        client.initialConfig().get(30, TimeUnit.SECONDS);

        String ratings = "ratings.default.svc.cluster.local";
        String rv = Resources.clusterName(9080, REVIEWS);
        String rt = Resources.clusterName(9080, ratings);
        var routes = Resources.route(9080, REVIEWS).toBuilder()
                .addVirtualHosts(Resources.route(9080, ratings).getVirtualHosts(0)).build();
        // the route to ratings comes first, while CDS does not know ratings yet
        cp.set(Snapshot.create(List.of(Resources.edsCluster(rv)), List.of(Resources.endpoints(rv, "10.1.0.7", 9080)),
                List.of(Resources.outboundListener(9080)), List.of(routes), List.of(), "2"));
        await().atMost(Duration.ofSeconds(30)).until(() -> meters.counter("isthmus_xds_updates_total",
                "type", "RDS", "result", "held").count() >= 1);
        assertThat(sink.of(ROUTE).toString()).doesNotContain(rt);

        cp.set(Snapshot.create(List.of(Resources.edsCluster(rv), Resources.edsCluster(rt)),
                List.of(Resources.endpoints(rv, "10.1.0.7", 9080), Resources.endpoints(rt, "10.1.0.9", 9080)),
                List.of(Resources.outboundListener(9080)), List.of(routes), List.of(), "3"));
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.of(ROUTE).toString().contains(rt));
        assertThat(sink.of(ENDPOINT)).containsKey(rt);
        assertThat(sink.of(CLUSTER)).containsKey(rt);
    }
}
