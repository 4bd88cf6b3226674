package io.isthmus.e2e.local;

import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap.Builder;
import io.isthmus.mesh.ProxyMetadata;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BootstrapTest {
    private static io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap parse(String json) throws Exception {
        Builder b = io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap.newBuilder();
        JsonFormat.parser().usingTypeRegistry(com.google.protobuf.TypeRegistry.newBuilder()
                .add(io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.getDescriptor())
                .add(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.getDescriptor()).build()).merge(json, b);
        return b.build();
    }

    @Test
    void a_sidecar_bootstrap_is_a_valid_envoy_bootstrap_with_istio_node_metadata() throws Exception {
        Bootstrap b = new Bootstrap(ProxyMetadata.TYPE_SIDECAR, "reviews-v1-0", "default", "10.1.1.10", "reviews", "east",
                "network-east", "us-east", "us-east-1a", "", "bookinfo-reviews", Map.of("app", "reviews", "version", "v1"),
                "9080/http", "10.1.0.1", 15012);
        var e = parse(b.toJson());
        assertThat(e.getNode().getId()).isEqualTo("sidecar~10.1.1.10~reviews-v1-0.default~default.svc.cluster.local");
        assertThat(e.getNode().getCluster()).isEqualTo("reviews");
        assertThat(e.getNode().getLocality().getZone()).isEqualTo("us-east-1a");
        var meta = e.getNode().getMetadata().getFieldsMap();
        assertThat(meta.get(ProxyMetadata.CLUSTER_ID).getStringValue()).isEqualTo("east");
        assertThat(meta.get(ProxyMetadata.NETWORK).getStringValue()).isEqualTo("network-east");
        assertThat(meta.get(ProxyMetadata.SERVICE_ACCOUNT).getStringValue()).isEqualTo("bookinfo-reviews");
        assertThat(meta.get(ProxyMetadata.INSTANCE_IPS).getStringValue()).isEqualTo("10.1.1.10");
        assertThat(meta.get(ProxyMetadata.LABELS).getStructValue().getFieldsMap().get("version").getStringValue()).isEqualTo("v1");
        assertThat(meta).doesNotContainKey(ProxyMetadata.REQUESTED_NETWORK_VIEW);
        var xds = e.getStaticResources().getClusters(0);
        assertThat(xds.getName()).isEqualTo("xds-grpc");
        var addr = xds.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress();
        assertThat(addr.getAddress()).isEqualTo("10.1.0.1");
        assertThat(addr.getPortValue()).isEqualTo(15012);
        assertThat(xds.getTransportSocket().getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.class).getSni())
                .isEqualTo("isthmus-controller.isthmus-system.svc");
        assertThat(e.getDynamicResources().getAdsConfig().getGrpcServices(0).getEnvoyGrpc().getClusterName()).isEqualTo("xds-grpc");
        assertThat(e.getDynamicResources().getLdsConfig().hasAds()).isTrue();
    }

    @Test
    void a_gateway_bootstrap_asks_for_its_network_view() throws Exception {
        Bootstrap b = new Bootstrap(ProxyMetadata.TYPE_ROUTER, "istio-eastwestgateway-0", "isthmus-system", "10.2.0.200",
                "istio-eastwestgateway", "west", "network-west", "us-west", "us-west-1a", "", "istio-eastwestgateway",
                Map.of(), "", "10.2.0.1", 15012);
        var e = parse(b.toJson());
        assertThat(e.getNode().getId()).startsWith("router~10.2.0.200~");
        assertThat(e.getNode().getMetadata().getFieldsMap().get(ProxyMetadata.REQUESTED_NETWORK_VIEW).getStringValue())
                .isEqualTo("network-west");
    }

    @Test
    void an_ingress_gateway_bootstrap_is_a_router_without_a_network_view() throws Exception {
        Bootstrap b = new Bootstrap(ProxyMetadata.TYPE_ROUTER, "istio-ingressgateway-0", "istio-system", "10.1.1.10",
                "istio-ingressgateway", "east", "network-east", "us-east", "us-east-1a", "", "istio-ingressgateway",
                Map.of("istio", "ingressgateway"), "", "10.1.0.1", 15012, false);
        var e = parse(b.toJson());
        assertThat(e.getNode().getId()).isEqualTo("router~10.1.1.10~istio-ingressgateway-0.istio-system~istio-system.svc.cluster.local");
        var meta = e.getNode().getMetadata().getFieldsMap();
        assertThat(meta).doesNotContainKey(ProxyMetadata.REQUESTED_NETWORK_VIEW);
        assertThat(meta.get(ProxyMetadata.LABELS).getStructValue().getFieldsMap().get("istio").getStringValue())
                .isEqualTo("ingressgateway");
        assertThat(meta.get(ProxyMetadata.NAMESPACE).getStringValue()).isEqualTo("istio-system");
    }
}
