package io.isthmus.sidecar.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.BindConfig;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.SocketOption;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.type.metadata.v3.MetadataKey;
import io.isthmus.sidecar.errors.InvalidResourceException;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** CDS {@code type: ORIGINAL_DST} / {@code lb_policy: CLUSTER_PROVIDED} and {@code upstream_bind_config}: accepted shapes and refusals naming the field. */
class OriginalDstClusterTest {

    /** Istio's PassthroughCluster. */
    private static Cluster passthrough() {
        return Cluster.newBuilder()
                .setName("PassthroughCluster")
                .setType(Cluster.DiscoveryType.ORIGINAL_DST)
                .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(10))
                .build();
    }

    private static BindConfig source(String ip, int port) {
        return BindConfig.newBuilder().setSourceAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
    }

    @Test
    void istiosPassthroughClustersAreAccepted() throws Exception {
        ClusterConfig out = ClusterTranslator.translate(passthrough());
        assertThat(out.discovery()).isEqualTo(ClusterConfig.Discovery.ORIGINAL_DST);
        assertThat(out.staticAssignment()).isEmpty();
        assertThat(out.sourceAddress()).isEmpty();
        assertThat(out.outlier()).as("not a mesh cluster: no default outlier detection").isEmpty();

        Cluster inbound = passthrough().toBuilder().setName("InboundPassthroughClusterIpv4")
                .setUpstreamBindConfig(source("127.0.0.6", 0))
                .setOriginalDstLbConfig(Cluster.OriginalDstLbConfig.getDefaultInstance())
                .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName("InboundPassthroughClusterIpv4"))
                .build();
        ClusterConfig in = ClusterTranslator.translate(inbound);
        assertThat(in.sourceAddress()).contains("127.0.0.6");
        assertThat(in.samePools(ClusterTranslator.translate(inbound.toBuilder().clearUpstreamBindConfig().build())))
                .as("another source address needs other connections").isFalse();
    }

    @Test
    void anOriginalDstClusterNeedsClusterProvided() {
        refused(c -> c.setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN), "lb_policy");
        refused(c -> c.setType(Cluster.DiscoveryType.STATIC).setLoadAssignment(ClusterLoadAssignment.newBuilder()
                .setClusterName("PassthroughCluster")), "lb_policy");
        refused(c -> c.setType(Cluster.DiscoveryType.STATIC).setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName("PassthroughCluster"))
                .setOriginalDstLbConfig(Cluster.OriginalDstLbConfig.getDefaultInstance()), "original_dst_lb_config");
    }

    @Test
    void originalDstFieldsThatAreNotHonouredAreRefusedByName() {
        refused(c -> c.setOriginalDstLbConfig(Cluster.OriginalDstLbConfig.newBuilder().setUseHttpHeader(true)),
                "original_dst_lb_config.use_http_header");
        refused(c -> c.setOriginalDstLbConfig(Cluster.OriginalDstLbConfig.newBuilder().setHttpHeaderName("x-dst")),
                "original_dst_lb_config.http_header_name");
        refused(c -> c.setOriginalDstLbConfig(Cluster.OriginalDstLbConfig.newBuilder().setUpstreamPortOverride(UInt32Value.of(80))),
                "original_dst_lb_config.upstream_port_override");
        refused(c -> c.setOriginalDstLbConfig(Cluster.OriginalDstLbConfig.newBuilder()
                .setMetadataKey(MetadataKey.newBuilder().setKey("envoy.lb"))), "original_dst_lb_config.metadata_key");
        refused(c -> c.setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName("PassthroughCluster")
                .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(LbEndpoint.newBuilder().setEndpoint(Endpoint.newBuilder()
                        .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress("10.0.0.1")
                                .setPortValue(80))))))), "load_assignment");
    }

    @Test
    void upstreamBindConfigBeyondTheSourceAddressIsRefusedByName() throws Exception {
        refused(c -> c.setUpstreamBindConfig(source("127.0.0.6", 4000)), "upstream_bind_config.source_address.port_value");
        refused(c -> c.setUpstreamBindConfig(source("localhost", 0)), "upstream_bind_config.source_address.address");
        refused(c -> c.setUpstreamBindConfig(source("127.0.0.6", 0).toBuilder().setFreebind(BoolValue.of(true))),
                "upstream_bind_config.freebind");
        refused(c -> c.setUpstreamBindConfig(source("127.0.0.6", 0).toBuilder().addSocketOptions(SocketOption.newBuilder()
                .setLevel(1).setName(2).setIntValue(1))), "upstream_bind_config.socket_options");
        refused(c -> c.setUpstreamBindConfig(source("127.0.0.6", 0).toBuilder().addAdditionalSourceAddresses(
                SocketAddress.newBuilder().setAddress("::1"))), "upstream_bind_config.additional_source_addresses");
        // any cluster type may bind its upstream connections
        Cluster staticBound = Cluster.newBuilder().setName("s").setType(Cluster.DiscoveryType.STATIC)
                .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName("s"))
                .setUpstreamBindConfig(source("::1", 0)).build();
        assertThat(ClusterTranslator.translate(staticBound).sourceAddress()).isEqualTo(Optional.of("::1"));
    }

    private static void refused(UnaryOperator<Cluster.Builder> change, String field) {
        Cluster bad = change.apply(passthrough().toBuilder()).build();
        assertThatThrownBy(() -> ClusterTranslator.translate(bad))
                .isInstanceOfSatisfying(InvalidResourceException.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.resourceName()).isEqualTo("PassthroughCluster");
                });
    }
}
