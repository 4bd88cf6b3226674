package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.mesh.ProxyMetadata;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MeshTranslatorTest {
    private static final String ROOT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    private InMemoryRegistry registry() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        r.putService(new ClusterService("west", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.2.0.10", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1"))));
        r.replaceGateways("west", List.of(new NetworkGateway("net-west", "west", "10.255.0.2", 15443)));
        return r;
    }

    @Test
    void aSidecarGetsOutboundAndInboundSideAndTheTrustBundle() {
        MeshTranslator t = new MeshTranslator(registry(), "cluster.local", () -> ROOT);
        ProxyView reviewsPod = ProxyView.fromNode(node("sidecar", "10.1.0.10", "reviews-10.1.0.10", "east", "net-east", EAST_A, null, null));
        ProxyResources r = t.resourcesFor(reviewsPod);

        assertThat(r.listeners()).containsKeys("outbound_127.0.0.2_9080", "inbound_9080");
        assertThat(r.routes()).containsOnlyKeys("9080");
        assertThat(r.clusters()).containsOnlyKeys("outbound|9080||" + REVIEWS, "inbound|9080||");
        assertThat(r.endpoints()).containsOnlyKeys("outbound|9080||" + REVIEWS);
        assertThat(r.secrets()).containsOnlyKeys("ROOTCA");
        assertThat(r.endpoints().get("outbound|9080||" + REVIEWS).getEndpointsList()).hasSize(2);
        com.google.protobuf.Struct service = r.clusters().get("inbound|9080||").getMetadata().getFilterMetadataOrThrow("istio")
                .getFieldsOrThrow("services").getListValue().getValues(0).getStructValue();
        assertThat(service.getFieldsOrThrow("host").getStringValue()).as("the inbound cluster names the service it serves")
                .isEqualTo(REVIEWS);
        assertThat(service.getFieldsOrThrow("name").getStringValue()).isEqualTo("reviews");
        assertThat(service.getFieldsOrThrow("namespace").getStringValue()).isEqualTo("default");
    }

    /**
     * A proxyless gRPC client speaks plaintext (its clusters carry no TLS), which another network's east-west gateway
     * does not route: it gets its own network's endpoints only, as a sidecar's plaintext cluster does.
     */
    @Test
    void aProxylessGrpcClientGetsOnlyItsOwnNetworksEndpoints() {
        MeshTranslator t = new MeshTranslator(registry(), "cluster.local", () -> ROOT);
        ProxyView grpc = ProxyView.fromNode(node("sidecar", "10.1.0.20", "grpc-client-0", "east", "net-east", EAST_A,
                ProxyMetadata.GENERATOR, "grpc"));
        ProxyResources r = t.resourcesFor(grpc);
        String cluster = "outbound|9080||" + REVIEWS;
        assertThat(r.clusters().get(cluster).hasTransportSocket()).isFalse();
        assertThat(r.endpoints().get(cluster).getEndpointsList()).singleElement().satisfies(g -> assertThat(g.getLbEndpointsList())
                .extracting(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress()).containsExactly("10.1.0.10"));
    }

    @Test
    void aGatewayGetsOnlyItsNetworksServicesAndNoListeners() {
        MeshTranslator t = new MeshTranslator(registry(), "cluster.local", () -> ROOT);
        ProxyView gw = ProxyView.fromNode(node("router", "10.255.0.2", "eastwest-0", "west", "net-west", WEST_A,
                ProxyMetadata.REQUESTED_NETWORK_VIEW, "net-west"));
        ProxyResources r = t.resourcesFor(gw);
        assertThat(r.listeners()).isEmpty();
        assertThat(r.clusters()).containsOnlyKeys("outbound|9080||" + REVIEWS);
        assertThat(r.clusters().get("outbound|9080||" + REVIEWS).hasTransportSocket()).isFalse();
        assertThat(r.clusters().get("outbound|9080||" + REVIEWS).getTransportSocketMatchesCount()).isZero();
        assertThat(r.endpoints().get("outbound|9080||" + REVIEWS).getEndpoints(0).getLbEndpoints(0).getEndpoint()
                .getAddress().getSocketAddress().getAddress()).isEqualTo("10.2.0.10");
    }

    @Test
    void registryChangesShowAfterInvalidate() {
        InMemoryRegistry reg = registry();
        MeshTranslator t = new MeshTranslator(reg, "cluster.local", () -> ROOT);
        ProxyView client = sidecar("10.1.0.5", "east", "net-east", EAST_A);
        assertThat(t.resourcesFor(client).endpoints().get("outbound|9080||" + REVIEWS).getEndpointsList()).hasSize(2);
        reg.removeCluster("east");
        t.invalidate();
        var eps = t.resourcesFor(client).endpoints().get("outbound|9080||" + REVIEWS).getEndpointsList();
        assertThat(eps).singleElement().satisfies(g -> assertThat(g.getPriority()).isZero());
    }
}
