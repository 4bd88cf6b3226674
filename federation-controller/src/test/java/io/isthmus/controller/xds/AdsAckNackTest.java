package io.isthmus.controller.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.Status;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.StreamObserver;
import io.isthmus.controller.support.AdsTestServer;
import io.isthmus.controller.translate.ProxyResources;
import io.isthmus.mesh.ProxyMetadata;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ADS protocol state per proxy, driven by a plain grpc-java ADS client over a real socket. */
class AdsAckNackTest {
    private static final String CDS = XdsType.CLUSTER.typeUrl();
    private static final String EDS = XdsType.ENDPOINT.typeUrl();

    private AdsTestServer server;
    private AdsService ads;
    private final AtomicReference<ProxyResources> config = new AtomicReference<>(resources("a"));
    private final LinkedBlockingQueue<DiscoveryResponse> received = new LinkedBlockingQueue<>();
    private StreamObserver<DiscoveryRequest> requests;

    @BeforeEach
    void start() {
        ads = new AdsService(view -> config.get(), XdsMetrics.noop(), Clock.systemUTC());
        server = new AdsTestServer(ads);
        requests = AggregatedDiscoveryServiceGrpc.newStub(server.channel()).streamAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse r) {
                received.add(r);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void ackMarksTheProxySynced() throws Exception {
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node()).setTypeUrl(CDS).build());
        DiscoveryResponse r = next();
        assertThat(r.getTypeUrl()).isEqualTo(CDS);
        assertThat(r.getResourcesList()).hasSize(2);
        assertThat(r.getResources(0).unpack(Cluster.class).getName()).isEqualTo("a-1");
        assertThat(status(XdsType.CLUSTER).state()).isEqualTo(SyncStatus.State.STALE);

        requests.onNext(ack(r));
        await().untilAsserted(() -> assertThat(status(XdsType.CLUSTER).state()).isEqualTo(SyncStatus.State.SYNCED));
        assertThat(status(XdsType.CLUSTER).ackedVersion()).isEqualTo(r.getVersionInfo());
    }

    @Test
    void nackKeepsTheRefusedVersionUnsentUntilSomethingChanges() throws Exception {
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node()).setTypeUrl(CDS).build());
        DiscoveryResponse r = next();
        requests.onNext(ack(r).toBuilder()
                .setVersionInfo("")
                .setErrorDetail(Status.newBuilder().setCode(3).setMessage("cluster a-1: bad lb policy"))
                .build());
        await().untilAsserted(() -> assertThat(status(XdsType.CLUSTER).state()).isEqualTo(SyncStatus.State.NACKED));
        assertThat(status(XdsType.CLUSTER).nackReason()).contains("bad lb policy");

        ads.push(v -> true); // nothing changed: the refused version is not sent again
        config.set(resources("b"));
        ads.push(v -> true);
        DiscoveryResponse second = next();
        assertThat(second.getVersionInfo()).isNotEqualTo(r.getVersionInfo());
        assertThat(second.getResources(0).unpack(Cluster.class).getName()).isEqualTo("b-1");
        requests.onNext(ack(second));
        await().untilAsserted(() -> assertThat(status(XdsType.CLUSTER).state()).isEqualTo(SyncStatus.State.SYNCED));
    }

    @Test
    void namedSubscriptionGetsOnlyItsNamesAndUnchangedPushesSendNothing() throws Exception {
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node()).setTypeUrl(EDS).addResourceNames("a-2").build());
        DiscoveryResponse r = next();
        assertThat(r.getResourcesList()).hasSize(1);
        assertThat(r.getResources(0).unpack(ClusterLoadAssignment.class).getClusterName()).isEqualTo("a-2");
        requests.onNext(ack(r).toBuilder().clearResourceNames().addResourceNames("a-2").build());
        ads.push(v -> true);
        config.set(resources("a")); // equal content
        ads.push(v -> true);
        // a stale nonce is ignored, a subscription change answers at once
        requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(EDS).setResponseNonce("stale").addResourceNames("a-1").build());
        requests.onNext(ack(r).toBuilder().clearResourceNames().addResourceNames("a-1").addResourceNames("a-2").build());
        DiscoveryResponse both = next();
        assertThat(both.getResourcesList()).hasSize(2);
        assertThat(received).isEmpty();
    }

    private SyncStatus status(XdsType type) {
        return ads.streams().iterator().next().status().stream().filter(s -> s.type() == type).findFirst().orElseThrow();
    }

    private DiscoveryResponse next() throws InterruptedException {
        DiscoveryResponse r = received.poll(10, TimeUnit.SECONDS);
        assertThat(r).as("a response within 10 s").isNotNull();
        return r;
    }

    private static DiscoveryRequest ack(DiscoveryResponse r) {
        return DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
                .setResponseNonce(r.getNonce()).build();
    }

    private static Node node() {
        return Node.newBuilder().setId(ProxyMetadata.nodeId("sidecar", "10.1.0.5", "productpage-0", "default")).build();
    }

    private static ProxyResources resources(String prefix) {
        Map<String, Cluster> clusters = new TreeMap<>();
        Map<String, ClusterLoadAssignment> endpoints = new TreeMap<>();
        for (String n : List.of(prefix + "-1", prefix + "-2")) {
            clusters.put(n, Cluster.newBuilder().setName(n).setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1)).build());
            endpoints.put(n, ClusterLoadAssignment.newBuilder().setClusterName(n).build());
        }
        return new ProxyResources(new TreeMap<>(), new TreeMap<>(), new TreeMap<>(clusters), new TreeMap<>(endpoints), new TreeMap<>());
    }

}
