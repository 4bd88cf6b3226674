package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A gRPC port is routed at HTTP level and reaches its upstreams (peer sidecar and app) over HTTP/2. */
class GrpcPortTranslationTest {
    private static final String ROOT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private static final ServicePort GRPC_9090 = new ServicePort("grpc", 9090, 9090, Protocol.GRPC);

    private static boolean http2(Cluster c) throws Exception {
        var any = c.getTypedExtensionProtocolOptionsMap().get(ClusterTranslator.HTTP_PROTOCOL_OPTIONS);
        return any != null && any.unpack(HttpProtocolOptions.class).getExplicitHttpConfig().hasHttp2ProtocolOptions();
    }

    @Test
    void grpcPortsGetHttp2ClustersBothWaysAndHttpPortsKeepHttp1() throws Exception {
        InMemoryRegistry reg = new InMemoryRegistry();
        reg.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080, GRPC_9090), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        MeshTranslator t = new MeshTranslator(reg, "cluster.local", () -> ROOT);
        ProxyResources r = t.resourcesFor(ProxyView.fromNode(
                node("sidecar", "10.1.0.10", "reviews-10.1.0.10", "east", "net-east", EAST_A, null, null)));

        assertThat(r.listeners()).containsKeys("outbound_127.0.0.2_9090", "inbound_9090");
        assertThat(r.routes()).containsKeys("9090");
        assertThat(http2(r.clusters().get("outbound|9090||" + REVIEWS))).isTrue();
        assertThat(http2(r.clusters().get("inbound|9090||"))).isTrue();
        assertThat(Fixtures.meshSocket(r.clusters().get("outbound|9090||" + REVIEWS))).as("still mesh mTLS").isPresent();
        assertThat(http2(r.clusters().get("outbound|9080||" + REVIEWS))).isFalse();
        assertThat(http2(r.clusters().get("inbound|9080||"))).isFalse();
    }
}
