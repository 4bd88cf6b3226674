package io.isthmus.controller.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.isthmus.controller.support.AdsTestClient;
import io.isthmus.controller.support.AdsTestServer;
import io.isthmus.controller.translate.ProxyResources;
import io.isthmus.mesh.ProxyMetadata;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A controller that has not synced refuses ADS streams with UNAVAILABLE, and serves them once it has. */
class AdsReadinessTest {
    private AdsService ads;
    private AdsTestServer server;
    private ManagedChannel channel;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicReference<Optional<String>> notReady = new AtomicReference<>(Optional.of("clusters still syncing: [east, west]"));

    @BeforeEach
    void start() {
        ads = new AdsService(view -> resources(), new XdsMetrics(meters, () -> 0), Clock.systemUTC()).refuseWhile(notReady::get);
        server = new AdsTestServer(ads);
        channel = server.channel();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void aStreamOpenedBeforeSyncIsRefusedWithTheReasonAndOneOpenedAfterIsServed() throws Exception {
        CompletableFuture<Object> first = open();
        Object outcome = first.get(10, TimeUnit.SECONDS);
        assertThat(outcome).isInstanceOf(Status.class);
        Status refused = (Status) outcome;
        assertThat(refused.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(refused.getDescription()).contains("not ready").contains("clusters still syncing: [east, west]");
        assertThat(ads.connectedCount()).isZero();
        assertThat(meters.get("isthmus_xds_streams_refused").tag("reason", "not_ready").counter().count()).isEqualTo(1.0);

        notReady.set(Optional.empty());
        Object served = open().get(10, TimeUnit.SECONDS);
        assertThat(served).isInstanceOf(DiscoveryResponse.class);
        assertThat(((DiscoveryResponse) served).getResourcesCount()).isEqualTo(1);
        assertThat(meters.get("isthmus_xds_streams_refused").counter().count()).isEqualTo(1.0);
    }

    @Test
    void aStreamAlreadyOpenIsKeptWhenReadinessIsLostAgain() throws Exception {
        notReady.set(Optional.empty());
        assertThat(open().get(10, TimeUnit.SECONDS)).isInstanceOf(DiscoveryResponse.class);

        notReady.set(Optional.of("config still syncing"));
        assertThat(ads.push(v -> true)).isEqualTo(1);
        assertThat(ads.connectedCount()).isEqualTo(1);
    }

    /** Opens a stream, asks for clusters; completes with the first response or the error status. */
    private CompletableFuture<Object> open() {
        return AdsTestClient.firstAnswer(channel, cdsRequest());
    }

    private static DiscoveryRequest cdsRequest() {
        Node node = Node.newBuilder().setId(ProxyMetadata.nodeId("sidecar", "10.1.0.5", "productpage-0", "default")).build();
        return DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(XdsType.CLUSTER.typeUrl()).build();
    }

    private static ProxyResources resources() {
        TreeMap<String, Cluster> clusters = new TreeMap<>();
        clusters.put("reviews", Cluster.newBuilder().setName("reviews")
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1)).build());
        return new ProxyResources(new TreeMap<>(), new TreeMap<>(), clusters, new TreeMap<String, ClusterLoadAssignment>(),
                new TreeMap<>());
    }
}
