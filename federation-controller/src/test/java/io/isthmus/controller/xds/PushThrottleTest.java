package io.isthmus.controller.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.controller.support.AdsTestClient;
import io.isthmus.controller.translate.ProxyResources;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** With a throttle of one, a second proxy's response waits until the first proxy answered its own. */
class PushThrottleTest {

    @Test
    void aResponseWaitsForASlotThatTheFirstProxysAckFrees() throws Exception {
        TreeMap<String, Cluster> clusters = new TreeMap<>();
        clusters.put("c", Cluster.newBuilder().setName("c").build());
        ProxyResources res = new ProxyResources(new TreeMap<>(), new TreeMap<>(), clusters, new TreeMap<>(), new TreeMap<>());
        Vertx vertx = Vertx.vertx();
        AdsService ads = new AdsService(v -> res, XdsMetrics.noop(), Clock.systemUTC(), 1);
        XdsServer server = XdsServer.startPlaintext(vertx, "127.0.0.1", 0, List.of(ads.bindService()));
        try (AdsTestClient a = client(server, "a"); AdsTestClient b = client(server, "b")) {
            a.subscribe(XdsType.CLUSTER.typeUrl(), List.of());
            DiscoveryResponse first = a.next(XdsType.CLUSTER.typeUrl(), r -> true);
            b.subscribe(XdsType.CLUSTER.typeUrl(), List.of());
            await().until(() -> ads.streams().size() == 2);
            ProxyStream bStream = ads.streams().stream().filter(s -> s.view().get().nodeId().equals("b")).findFirst().orElseThrow();
            await().until(() -> !bStream.status().isEmpty());
            assertThat(bStream.status().get(0).sentVersion()).as("b waits for a slot").isEmpty();

            a.ack(first, List.of());
            DiscoveryResponse second = b.next(XdsType.CLUSTER.typeUrl(), r -> true);
            assertThat(second.getResourcesCount()).isEqualTo(1);
        } finally {
            server.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static AdsTestClient client(XdsServer server, String id) {
        return new AdsTestClient(NettyChannelBuilder.forAddress("127.0.0.1", server.plaintextPort()).usePlaintext().build(),
                Node.newBuilder().setId(id).build());
    }
}
