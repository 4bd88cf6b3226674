package io.isthmus.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.controller.discovery.KubeObjects;
import io.isthmus.controller.discovery.MockApiServer;
import io.isthmus.controller.support.AdsTestClient;
import io.isthmus.controller.xds.XdsType;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.trust.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A controller whose API server has not been listed yet refuses proxies (as Istio does until its
 * caches have synced) rather than serving a registry without that cluster's endpoints; once the API
 * server answers and has been listed, the same proxy is served.
 */
class ControllerReadinessTest {
    @TempDir
    Path dir;
    private MockApiServer api;
    private Controller controller;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (controller != null) {
            controller.close();
        }
        api.close();
    }

    @Test
    void proxiesAreRefusedUntilTheLocalApiServerHasBeenListed() throws Exception {
        api = new MockApiServer();
        api.client().namespaces().resource(KubeObjects.namespace(MeshLabels.SYSTEM_NAMESPACE, Map.of())).create();
        api.client().namespaces().resource(KubeObjects.namespace("default", Map.of())).create();
        api.client().services().resource(KubeObjects.service("default", "reviews", 9080, 9080)).create();
        api.stop();

        TestPki pki = TestPki.create(dir.resolve("pki"), "east");
        Path kubeconfig = dir.resolve("east.kubeconfig");
        Files.writeString(kubeconfig, api.kubeconfig("east", "t"));
        controller = Controller.start(ControllerConfig.builder("east", "net-east", pki.cacertsDir("east"))
                .kubeconfig(kubeconfig).listenAddress("127.0.0.1").secureXdsPort(0).plaintextXdsPort(0).monitoringPort(0)
                .sharedState(ControllerConfig.SharedState.IN_MEMORY).build());
        channel = NettyChannelBuilder.forAddress("127.0.0.1", controller.plaintextXdsPort()).usePlaintext().build();

        Object refused = firstAnswer();
        assertThat(refused).isInstanceOf(Status.class);
        assertThat(((Status) refused).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(((Status) refused).getDescription()).contains("clusters still syncing");
        assertThat(controller.notReadyReason()).isPresent();
        assertThat(controller.ready()).isNotDone();
        assertThat(controller.ads().connectedCount()).isZero();

        api.restart();
        controller.ready().get(60, TimeUnit.SECONDS);
        Object served = firstAnswer();
        assertThat(served).isInstanceOf(DiscoveryResponse.class);
        assertThat(((DiscoveryResponse) served).getResourcesList()).as("the cluster of reviews, listed before serving")
                .anySatisfy(a -> assertThat(a.unpack(io.envoyproxy.envoy.config.cluster.v3.Cluster.class).getName())
                        .isEqualTo("outbound|9080||reviews.default.svc.cluster.local"));
    }

    /** Opens an ADS stream asking for clusters: the first response, or the status it was refused with. */
    private Object firstAnswer() throws Exception {
        Node node = Node.newBuilder().setId(ProxyMetadata.nodeId("sidecar", "10.1.0.5", "productpage-0", "default")).build();
        return AdsTestClient.firstAnswer(channel, DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(XdsType.CLUSTER.typeUrl())
                .build()).get(15, TimeUnit.SECONDS);
    }
}
