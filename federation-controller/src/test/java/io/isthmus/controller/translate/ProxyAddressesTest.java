package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.mesh.ProxyMetadata;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pods without a network namespace of their own: outbound listeners and inbound clusters on the addresses the node names. */
class ProxyAddressesTest {
    private static final String ROOT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    private static MeshTranslator translator() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("127.1.1.1", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"),
                        endpoint("127.1.2.1", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        return new MeshTranslator(r, "cluster.local", () -> ROOT);
    }

    private static Node withAddresses(Node n, String outbound, String app) {
        return n.toBuilder().setMetadata(n.getMetadata().toBuilder()
                .putFields(ProxyMetadata.OUTBOUND_ADDRESS, Value.newBuilder().setStringValue(outbound).build())
                .putFields(ProxyMetadata.APP_ADDRESS, Value.newBuilder().setStringValue(app).build())).build();
    }

    private static SocketAddress bind(Listener l) {
        return l.getAddress().getSocketAddress();
    }

    private static SocketAddress endpointOf(Cluster c) {
        return c.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress();
    }

    @Test
    void withoutTheKeysEverythingStaysOnTheNamespaceAddresses() {
        ProxyView pod = ProxyView.fromNode(node("sidecar", "127.1.1.1", "reviews-v1-0", "east", "net-east", EAST_A, null, null));
        ProxyResources r = translator().resourcesFor(pod);
        assertThat(pod.outboundAddress()).isEmpty();
        assertThat(bind(r.listeners().get("outbound_127.0.0.2_9080")).getAddress()).isEqualTo("127.0.0.2");
        assertThat(endpointOf(r.clusters().get("inbound|9080||")).getAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void outboundListenersAndInboundClustersFollowTheNodesAddresses() {
        MeshTranslator t = translator();
        ProxyView a = ProxyView.fromNode(withAddresses(
                node("sidecar", "127.1.1.1", "reviews-v1-0", "east", "net-east", EAST_A, null, null), "127.1.1.3", "127.1.1.2"));
        ProxyView b = ProxyView.fromNode(withAddresses(
                node("sidecar", "127.1.2.1", "reviews-v1-1", "east", "net-east", EAST_A, null, null), "127.1.2.3", "127.1.2.2"));
        ProxyResources ra = t.resourcesFor(a);
        ProxyResources rb = t.resourcesFor(b);

        Listener out = ra.listeners().get("outbound_127.0.0.2_9080");
        assertThat(bind(out).getAddress()).isEqualTo("127.1.1.3");
        assertThat(bind(out).getPortValue()).isEqualTo(9080);
        assertThat(bind(ra.listeners().get("inbound_9080")).getAddress()).isEqualTo("127.1.1.1");
        assertThat(endpointOf(ra.clusters().get("inbound|9080||")).getAddress()).isEqualTo("127.1.1.2");
        // the outbound part is shared between proxies of one key; the bind address is still each proxy's own
        assertThat(bind(rb.listeners().get("outbound_127.0.0.2_9080")).getAddress()).isEqualTo("127.1.2.3");
        assertThat(endpointOf(rb.clusters().get("inbound|9080||")).getAddress()).isEqualTo("127.1.2.2");
        assertThat(ra.routes()).isEqualTo(rb.routes());
    }

    @Test
    void aMalformedAddressIsRefusedNamingTheKey() {
        Node n = withAddresses(node("sidecar", "127.1.1.1", "reviews-v1-0", "east", "net-east", EAST_A, null, null),
                "127.1.1.300", "127.1.1.2");
        assertThatThrownBy(() -> ProxyView.fromNode(n)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(ProxyMetadata.OUTBOUND_ADDRESS).hasMessageContaining("127.1.1.300");
    }
}
