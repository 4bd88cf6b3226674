package io.isthmus.controller.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.isthmus.controller.support.AdsTestClient;
import io.isthmus.controller.support.AdsTestServer;
import io.isthmus.controller.translate.ProxyResources;
import io.isthmus.mesh.ProxyMetadata;
import java.time.Clock;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A proxy's first configuration is computed off the event loop: a proxy whose translation takes long does not hold up
 * another proxy on the same connection (so the same loop), and its own requests are answered, in order, once it is in.
 */
class FirstConfigOffLoopTest {
    private AdsTestServer server;
    private ManagedChannel channel;
    private final CountDownLatch slowEntered = new CountDownLatch(1);
    private final CountDownLatch slowReleased = new CountDownLatch(1);

    @BeforeEach
    void start() {
        AdsService ads = new AdsService(view -> {
            if (view.nodeId().contains("slow-0")) {
                slowEntered.countDown();
                try {
                    slowReleased.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return resources();
        }, XdsMetrics.noop(), Clock.systemUTC());
        server = new AdsTestServer(ads);
        // one channel: both proxies' streams share its HTTP/2 connection, hence one event loop of the server
        channel = server.channel();
    }

    @AfterEach
    void stop() throws Exception {
        slowReleased.countDown();
        server.close();
    }

    @Test
    void aSlowTranslationHoldsUpNeitherTheLoopNorTheOrderOfItsOwnAnswers() throws Exception {
        AdsTestClient slow = new AdsTestClient(channel, node("slow-0"));
        slow.subscribe(XdsType.CLUSTER.typeUrl(), List.of());
        assertThat(slowEntered.await(10, TimeUnit.SECONDS)).as("the slow proxy's translation started").isTrue();
        slow.subscribe(XdsType.ENDPOINT.typeUrl(), List.of("reviews"));

        Object fast = AdsTestClient.firstAnswer(channel, request(node("fast-0"), XdsType.CLUSTER)).get(10, TimeUnit.SECONDS);
        assertThat(fast).as("the other proxy is answered while the slow one's translation runs")
                .isInstanceOf(DiscoveryResponse.class);
        assertThat(slow.unread()).as("nothing for the slow proxy before its configuration is in").isZero();

        slowReleased.countDown();
        DiscoveryResponse first = slow.next();
        DiscoveryResponse second = slow.next();
        assertThat(first.getTypeUrl()).as("its requests answered in the order sent").isEqualTo(XdsType.CLUSTER.typeUrl());
        assertThat(second.getTypeUrl()).isEqualTo(XdsType.ENDPOINT.typeUrl());
        assertThat(second.getResources(0).unpack(ClusterLoadAssignment.class).getClusterName()).isEqualTo("reviews");
    }

    private static DiscoveryRequest request(Node node, XdsType type) {
        return DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type.typeUrl()).build();
    }

    private static Node node(String pod) {
        return Node.newBuilder().setId(ProxyMetadata.nodeId("sidecar", "10.1.0.5", pod, "default")).build();
    }

    private static ProxyResources resources() {
        TreeMap<String, Cluster> clusters = new TreeMap<>();
        clusters.put("reviews", Cluster.newBuilder().setName("reviews")
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1)).build());
        TreeMap<String, ClusterLoadAssignment> endpoints = new TreeMap<>();
        endpoints.put("reviews", ClusterLoadAssignment.newBuilder().setClusterName("reviews").build());
        return new ProxyResources(new TreeMap<>(), new TreeMap<>(), clusters, endpoints, new TreeMap<>());
    }
}
