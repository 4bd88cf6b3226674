package io.isthmus.sidecar.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.isthmus.sidecar.cluster.ClusterTranslator;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.testing.Xds;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The {@code envoy.transport_socket_match} metadata of EDS endpoints and their localities, which chooses the
 * transport socket of their connections: read into each endpoint (none when absent; other metadata ignored),
 * non-scalar values refused naming the field, kept by DNS expansion.
 */
class TransportSocketMetadataTest {

    private static final String CLUSTER = "outbound|9080||reviews.default.svc.cluster.local";

    @Test
    void istiosTlsModeLabelsAreReadPerEndpoint() throws Exception {
        LbEndpoint withSidecar = Xds.withTlsMode(Xds.lbEndpoint("10.0.0.1", 9080, 1), "istio");
        LbEndpoint withoutSidecar = Xds.withTlsMode(Xds.lbEndpoint("10.0.0.2", 9080, 1), "disabled");
        LbEndpoint unlabelled = Xds.lbEndpoint("10.0.0.3", 9080, 1).toBuilder().setMetadata(Metadata.newBuilder()
                .putFilterMetadata("istio", Struct.newBuilder().putFields("workload", string("reviews-v1")).build())).build();

        LoadAssignment a = translate(Xds.cla(CLUSTER, Xds.group("z1", 0, withSidecar, withoutSidecar, unlabelled)));

        assertThat(a.endpoints()).extracting(Endpoint::socketMatch).containsExactly(
                new SocketMatchLabels(Map.of("tlsMode", "istio")),
                new SocketMatchLabels(Map.of("tlsMode", "disabled")),
                SocketMatchLabels.NONE);
        assertThat(a.endpoints()).extracting(Endpoint::localitySocketMatch).containsOnly(SocketMatchLabels.NONE);
    }

    @Test
    void localityLabelsAreReadForEachEndpointOfTheGroup() throws Exception {
        var group = Xds.group("z1", 0, Xds.lbEndpoint("10.0.0.1", 9080, 1), Xds.lbEndpoint("10.0.0.2", 9080, 1)).toBuilder()
                .setMetadata(Metadata.newBuilder().putFilterMetadata("envoy.transport_socket_match", Struct.newBuilder()
                        .putFields("zone", string("z1"))
                        .putFields("mtls", Value.newBuilder().setBoolValue(true).build())
                        .putFields("generation", Value.newBuilder().setNumberValue(3).build()).build()))
                .build();

        LoadAssignment a = translate(Xds.cla(CLUSTER, group));

        assertThat(a.endpoints()).extracting(Endpoint::localitySocketMatch)
                .containsOnly(new SocketMatchLabels(Map.of("zone", "z1", "mtls", true, "generation", 3.0)));
        assertThat(a.endpoints()).extracting(Endpoint::socketMatch).containsOnly(SocketMatchLabels.NONE);
    }

    @Test
    void valuesThatAreNotScalarsAreRefusedNamingTheField() {
        String key = "filter_metadata[envoy.transport_socket_match][tlsMode]";
        assertRefused(Xds.cla(CLUSTER, Xds.group("z1", 0, Xds.lbEndpoint("10.0.0.1", 9080, 1),
                        labelled(Xds.lbEndpoint("10.0.0.2", 9080, 1), Value.newBuilder()
                                .setListValue(ListValue.newBuilder().addValues(string("istio"))).build()))),
                "endpoints[0].lb_endpoints[1].metadata." + key);
        assertRefused(Xds.cla(CLUSTER, Xds.group("z1", 0, labelled(Xds.lbEndpoint("10.0.0.1", 9080, 1),
                        Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build()))),
                "endpoints[0].lb_endpoints[0].metadata." + key);
        assertRefused(Xds.cla(CLUSTER, Xds.group("z1", 0, labelled(Xds.lbEndpoint("10.0.0.1", 9080, 1),
                        Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build()))),
                "endpoints[0].lb_endpoints[0].metadata." + key);
        assertRefused(Xds.cla(CLUSTER, Xds.group("z1", 0, Xds.lbEndpoint("10.0.0.1", 9080, 1)).toBuilder()
                        .setMetadata(Metadata.newBuilder().putFilterMetadata("envoy.transport_socket_match", Struct.newBuilder()
                                .putFields("tlsMode", Value.getDefaultInstance()).build())).build()),
                "endpoints[0].metadata." + key);
    }

    @Test
    void aStaticClustersEndpointsCarryTheirLabelsAndRefusalsNameTheLoadAssignment() throws Exception {
        Cluster c = Xds.staticCluster("app", "127.0.0.1", 8080);
        Cluster labelled = c.toBuilder().setLoadAssignment(c.getLoadAssignment().toBuilder().setEndpoints(0,
                c.getLoadAssignment().getEndpoints(0).toBuilder().setLbEndpoints(0,
                        Xds.withTlsMode(c.getLoadAssignment().getEndpoints(0).getLbEndpoints(0), "istio")))).build();
        Cluster bad = c.toBuilder().setLoadAssignment(c.getLoadAssignment().toBuilder().setEndpoints(0,
                c.getLoadAssignment().getEndpoints(0).toBuilder().setLbEndpoints(0,
                        labelled(c.getLoadAssignment().getEndpoints(0).getLbEndpoints(0),
                                Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build())))).build();

        assertThat(ClusterTranslator.translate(labelled).staticAssignment().orElseThrow().endpoints().get(0).socketMatch())
                .isEqualTo(new SocketMatchLabels(Map.of("tlsMode", "istio")));
        assertThatThrownBy(() -> ClusterTranslator.translate(bad)).isInstanceOfSatisfying(InvalidResourceException.class,
                e -> assertThat(e.field()).isEqualTo("load_assignment.endpoints[0].lb_endpoints[0].metadata."
                        + "filter_metadata[envoy.transport_socket_match][tlsMode]"));
    }

    @Test
    void dnsExpansionKeepsTheLabelsOfTheNamedEndpoint() throws Exception {
        LoadAssignment template = translate(Xds.cla(CLUSTER, Xds.group("z1", 0,
                Xds.withTlsMode(Xds.lbEndpoint("reviews.example", 9080, 1), "istio"))));

        LoadAssignment expanded = DnsAssignments.expand(template, Map.of("reviews.example",
                List.of(InetAddress.getByName("10.0.0.1"), InetAddress.getByName("10.0.0.2"))), false, a -> new EndpointState());

        assertThat(expanded.endpoints()).hasSize(2).extracting(Endpoint::socketMatch)
                .containsOnly(new SocketMatchLabels(Map.of("tlsMode", "istio")));
    }

    private static Value string(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }

    private static LbEndpoint labelled(LbEndpoint e, Value tlsMode) {
        return e.toBuilder().setMetadata(Metadata.newBuilder().putFilterMetadata("envoy.transport_socket_match",
                Struct.newBuilder().putFields("tlsMode", tlsMode).build())).build();
    }

    private static LoadAssignment translate(ClusterLoadAssignment cla) throws InvalidResourceException {
        return EndpointTranslator.translate(cla, a -> new EndpointState());
    }

    private static void assertRefused(ClusterLoadAssignment cla, String field) {
        assertThatThrownBy(() -> translate(cla)).isInstanceOfSatisfying(InvalidResourceException.class, e -> {
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.resourceName()).isEqualTo(CLUSTER);
            assertThat(e.reason()).isNotBlank();
        });
    }
}
