package io.isthmus.sidecar.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.isthmus.sidecar.endpoint.EndpointState;
import io.isthmus.sidecar.endpoint.LocalityKey;
import io.isthmus.sidecar.endpoint.SocketMatchLabels;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.testing.Xds;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * CDS {@code transport_socket_matches}: entries read in order with their labels and transport sockets (read as the
 * cluster's own {@code transport_socket} is), bad entries refused naming the field, and the choice of an endpoint's
 * TLS by Envoy's rule: the first entry whose labels the endpoint's {@code envoy.transport_socket_match} metadata
 * carries with equal values, else the first its locality's metadata carries, else the cluster's
 * {@code transport_socket} (plaintext when it has none).
 */
class TransportSocketMatchesTest {

    private static final String NAME = "outbound|9080||reviews.default.svc.cluster.local";
    private static final String SNI = "outbound_.9080_._.reviews.default.svc.cluster.local";
    private static final List<String> SANS = List.of("spiffe://cluster.local/ns/default/sa/reviews");

    @Test
    void istiosAutoMtlsMatchesAreReadInOrder() throws Exception {
        ClusterConfig auto = ClusterTranslator.translate(Xds.autoMtlsCluster(NAME, SNI, SANS));
        ClusterConfig explicit = ClusterTranslator.translate(Xds.edsCluster(NAME, SNI, SANS));

        assertThat(auto.tls()).as("no transport_socket of its own").isEmpty();
        assertThat(auto.socketMatches()).extracting(TransportSocketMatch::name).containsExactly("tlsMode-istio", "tlsMode-disabled");
        TransportSocketMatch istio = auto.socketMatches().get(0);
        assertThat(istio.match()).isEqualTo(new SocketMatchLabels(Map.of("tlsMode", "istio")));
        assertThat(istio.tls()).as("the same TLS as a cluster-level transport_socket").isEqualTo(explicit.tls()).isPresent();
        assertThat(istio.tls().get().sni()).isEqualTo(SNI);
        TransportSocketMatch disabled = auto.socketMatches().get(1);
        assertThat(disabled.match().isEmpty()).isTrue();
        assertThat(disabled.tls()).as("raw_buffer").isEmpty();
        assertThat(explicit.socketMatches()).isEmpty();
    }

    @Test
    void autoConfigOfAClusterWhoseTlsComesOnlyFromAMatchNegotiatesByAlpn() throws Exception {
        HttpProtocolOptions autoConfig = HttpProtocolOptions.newBuilder()
                .setAutoConfig(HttpProtocolOptions.AutoHttpConfig.getDefaultInstance()).build();
        Cluster auto = Xds.autoMtlsCluster(NAME, SNI, SANS).toBuilder()
                .putTypedExtensionProtocolOptions("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Any.pack(autoConfig))
                .build();
        Cluster plaintext = Xds.edsCluster(NAME, null, List.of()).toBuilder()
                .putTypedExtensionProtocolOptions("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Any.pack(autoConfig))
                .build();

        assertThat(ClusterTranslator.translate(auto).protocol()).isEqualTo(ClusterConfig.UpstreamProtocol.AUTO);
        assertThat(ClusterTranslator.translate(plaintext).protocol()).isEqualTo(ClusterConfig.UpstreamProtocol.HTTP_1_1);
    }

    @Test
    void stringBooleanAndNumberLabelsAreKeptWithTheirKinds() throws Exception {
        Struct labels = Struct.newBuilder()
                .putFields("mode", Value.newBuilder().setStringValue("istio").build())
                .putFields("mtls", Value.newBuilder().setBoolValue(true).build())
                .putFields("version", Value.newBuilder().setNumberValue(2).build())
                .build();
        ClusterConfig c = ClusterTranslator.translate(withMatches(m -> m.setMatch(labels)));

        assertThat(c.socketMatches().get(0).match().values())
                .containsExactlyInAnyOrderEntriesOf(Map.of("mode", "istio", "mtls", true, "version", 2.0));
        assertThat(c.socketMatches().get(0).match().matches(new SocketMatchLabels(Map.of("mode", "istio", "mtls", "true",
                "version", 2.0)))).as("the string \"true\" is not the boolean true").isFalse();
        assertThat(c.socketMatches().get(0).match().matches(new SocketMatchLabels(Map.of("mode", "istio", "mtls", true,
                "version", 2.0, "other", "x")))).as("extra labels of the endpoint do not matter").isTrue();
    }

    @Test
    void badEntriesAreRefusedNamingTheField() {
        assertRefused(withMatches(m -> m.setName("")), "transport_socket_matches[0].name");
        assertRefused(Xds.autoMtlsCluster(NAME, SNI, SANS).toBuilder()
                        .addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder().setName("tlsMode-istio")).build(),
                "transport_socket_matches[2].name");
        assertRefused(withMatches(m -> m.setMatch(Struct.newBuilder().putFields("tlsMode", Value.newBuilder()
                        .setListValue(ListValue.newBuilder().addValues(Value.newBuilder().setStringValue("istio"))).build()))),
                "transport_socket_matches[0].match[tlsMode]");
        assertRefused(withMatches(m -> m.setMatch(Struct.newBuilder().putFields("tlsMode", Value.newBuilder()
                        .setStructValue(Xds.tlsModeLabels("istio")).build()))),
                "transport_socket_matches[0].match[tlsMode]");
        assertRefused(withMatches(m -> m.setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.alts")
                        .setTypedConfig(Any.pack(Struct.getDefaultInstance())))),
                "transport_socket_matches[0].transport_socket");
        assertRefused(withMatches(m -> m.setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.tls")
                        .setTypedConfig(Any.newBuilder().setTypeUrl("type.googleapis.com/" + UpstreamTlsContext.getDescriptor().getFullName())
                                .setValue(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}))))),
                "transport_socket_matches[0].transport_socket.typed_config");
        assertRefused(withMatches(m -> m.setTransportSocket(tls(t -> t.setAllowRenegotiation(true)))),
                "transport_socket_matches[0].transport_socket.upstream_tls_context.allow_renegotiation");
        assertRefused(withMatches(m -> m.setTransportSocket(tls(t -> t.setCommonTlsContext(t.getCommonTlsContext().toBuilder()
                        .addTlsCertificates(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate.getDefaultInstance()))))),
                "transport_socket_matches[0].transport_socket.common_tls_context.tls_certificates");
    }

    @Test
    void aMatchWithoutATransportSocketIsPlaintext() throws Exception {
        ClusterConfig c = ClusterTranslator.translate(withMatches(Cluster.TransportSocketMatch.Builder::clearTransportSocket));

        assertThat(c.socketMatches().get(0).tls()).isEmpty();
    }

    @Test
    void poolsAreSharedOnlyWhenTheMatchesAreTheSame() throws Exception {
        ClusterConfig a = ClusterTranslator.translate(Xds.autoMtlsCluster(NAME, SNI, SANS));

        assertThat(a.samePools(ClusterTranslator.translate(Xds.autoMtlsCluster(NAME, SNI, SANS)))).isTrue();
        assertThat(a.samePools(ClusterTranslator.translate(Xds.autoMtlsCluster(NAME, SNI,
                List.of("spiffe://cluster.local/ns/default/sa/other"))))).isFalse();
        assertThat(a.samePools(ClusterTranslator.translate(withMatches(m -> m.setMatch(Xds.tlsModeLabels("mutual"))))))
                .isFalse();
        assertThat(a.samePools(ClusterTranslator.translate(Xds.edsCluster(NAME, null, List.of())))).isFalse();
    }

    // ---- which TLS an endpoint gets ----

    @Test
    void theFirstMatchingEntryWins() throws Exception {
        ClusterConfig c = ClusterTranslator.translate(Xds.autoMtlsCluster(NAME, SNI, SANS));

        assertThat(c.socketMatchIndex(endpoint(labels("tlsMode", "istio"), SocketMatchLabels.NONE))).isZero();
        assertThat(c.tlsFor(endpoint(labels("tlsMode", "istio"), SocketMatchLabels.NONE))).isEqualTo(c.socketMatches().get(0).tls())
                .isPresent();
        assertThat(c.socketMatchIndex(endpoint(labels("tlsMode", "disabled"), SocketMatchLabels.NONE)))
                .as("the empty match takes every other endpoint").isEqualTo(1);
        assertThat(c.tlsFor(endpoint(labels("tlsMode", "disabled"), SocketMatchLabels.NONE))).isEmpty();
        assertThat(c.tlsFor(endpoint(SocketMatchLabels.NONE, SocketMatchLabels.NONE))).as("no labels at all").isEmpty();
        assertThat(c.tlsFor(endpoint(labels("tlsMode", "ISTIO"), SocketMatchLabels.NONE))).as("values compare exactly").isEmpty();
    }

    @Test
    void anEarlierEntryWinsOverALaterOneThatAlsoMatches() throws Exception {
        Cluster reversed = Xds.autoMtlsCluster(NAME, SNI, SANS).toBuilder().clearTransportSocketMatches()
                .addTransportSocketMatches(Xds.autoMtlsCluster(NAME, SNI, SANS).getTransportSocketMatches(1))
                .addTransportSocketMatches(Xds.autoMtlsCluster(NAME, SNI, SANS).getTransportSocketMatches(0))
                .build();
        ClusterConfig c = ClusterTranslator.translate(reversed);

        assertThat(c.socketMatchIndex(endpoint(labels("tlsMode", "istio"), SocketMatchLabels.NONE))).isZero();
        assertThat(c.tlsFor(endpoint(labels("tlsMode", "istio"), SocketMatchLabels.NONE))).isEmpty();
    }

    @Test
    void withoutAMatchTheClustersOwnTransportSocketApplies() throws Exception {
        Cluster mtlsByDefault = Xds.edsCluster(NAME, SNI, SANS).toBuilder()
                .addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder().setName("plaintext")
                        .setMatch(Xds.tlsModeLabels("disabled"))
                        .setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.raw_buffer")))
                .build();
        ClusterConfig c = ClusterTranslator.translate(mtlsByDefault);

        assertThat(c.tls()).isPresent();
        assertThat(c.socketMatchIndex(endpoint(SocketMatchLabels.NONE, SocketMatchLabels.NONE))).isEqualTo(-1);
        assertThat(c.tlsFor(endpoint(SocketMatchLabels.NONE, SocketMatchLabels.NONE))).isEqualTo(c.tls());
        assertThat(c.tlsFor(endpoint(labels("tlsMode", "istio"), SocketMatchLabels.NONE))).isEqualTo(c.tls());
        assertThat(c.tlsFor(endpoint(labels("tlsMode", "disabled"), SocketMatchLabels.NONE))).isEmpty();
    }

    @Test
    void withoutAMatchOrATransportSocketTheConnectionIsPlaintext() throws Exception {
        ClusterConfig c = ClusterTranslator.translate(onlyTheIstioEntry());

        assertThat(c.tls()).isEmpty();
        assertThat(c.tlsFor(endpoint(labels("tlsMode", "disabled"), SocketMatchLabels.NONE))).isEmpty();
        assertThat(c.tlsFor(endpoint(labels("tlsMode", "istio"), SocketMatchLabels.NONE))).isPresent();
    }

    @Test
    void theLocalityLabelsAreConsultedWhenNoEntryFitsTheEndpointsOwn() throws Exception {
        ClusterConfig c = ClusterTranslator.translate(onlyTheIstioEntry().toBuilder()
                .addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder().setName("zone-b")
                        .setMatch(Struct.newBuilder().putFields("zone", Value.newBuilder().setStringValue("b").build()))
                        .setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.raw_buffer")))
                .build());

        assertThat(c.socketMatchIndex(endpoint(SocketMatchLabels.NONE, labels("tlsMode", "istio")))).isZero();
        assertThat(c.socketMatchIndex(endpoint(labels("zone", "b"), labels("tlsMode", "istio"))))
                .as("an entry fitting the endpoint's own labels comes before every locality match").isEqualTo(1);
        assertThat(c.socketMatchIndex(endpoint(labels("zone", "c"), labels("zone", "d")))).isEqualTo(-1);
    }

    @Test
    void aClusterWithoutMatchesGivesEveryEndpointItsTransportSocket() throws Exception {
        ClusterConfig c = ClusterTranslator.translate(Xds.edsCluster(NAME, SNI, SANS));

        assertThat(c.tlsFor(endpoint(labels("tlsMode", "disabled"), SocketMatchLabels.NONE))).isEqualTo(c.tls()).isPresent();
    }

    private static SocketMatchLabels labels(String key, String value) {
        return new SocketMatchLabels(Map.of(key, value));
    }

    private static Endpoint endpoint(SocketMatchLabels own, SocketMatchLabels locality) {
        return new Endpoint(new EndpointAddress("10.0.0.1", 9080), LocalityKey.UNSPECIFIED, 0, 1, true, new EndpointState(),
                own, locality, "");
    }

    /** The auto mTLS cluster with its first entry changed. */
    private static Cluster withMatches(UnaryOperator<Cluster.TransportSocketMatch.Builder> first) {
        Cluster c = Xds.autoMtlsCluster(NAME, SNI, SANS);
        return c.toBuilder().setTransportSocketMatches(0, first.apply(c.getTransportSocketMatches(0).toBuilder())).build();
    }

    /** The auto mTLS cluster without its catch-all plaintext entry: only endpoints labelled {@code tlsMode: istio} match. */
    private static Cluster onlyTheIstioEntry() {
        Cluster c = Xds.autoMtlsCluster(NAME, SNI, SANS);
        return c.toBuilder().clearTransportSocketMatches().addTransportSocketMatches(c.getTransportSocketMatches(0)).build();
    }

    /** The mesh TLS socket with its context changed. */
    private static TransportSocket tls(UnaryOperator<UpstreamTlsContext.Builder> change) {
        TransportSocket ts = Xds.upstreamTls(SNI, SANS);
        try {
            UpstreamTlsContext u = ts.getTypedConfig().unpack(UpstreamTlsContext.class);
            return ts.toBuilder().setTypedConfig(Any.pack(change.apply(u.toBuilder()).build())).build();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertRefused(Cluster c, String field) {
        assertThatThrownBy(() -> ClusterTranslator.translate(c))
                .isInstanceOfSatisfying(InvalidResourceException.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.resourceName()).isEqualTo(NAME);
                    assertThat(e.reason()).isNotBlank();
                });
    }
}
