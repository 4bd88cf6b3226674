package io.isthmus.controller.translate;

import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.isthmus.mesh.OutboundName;
import io.isthmus.mesh.XdsNames;
import java.util.Collection;
import java.util.List;

/**
 * CDS: outbound EDS clusters {@code outbound|P|subset|host} (mTLS to the peer sidecar with the
 * service's SPIFFE identities, or plain for gateways and proxyless clients) and the inbound STATIC
 * clusters {@code inbound|P||} that point at the app on loopback.
 */
public final class ClusterTranslator {
    /** ALPN offered upstream, Istio's order; the peer picks. */
    public static final List<String> MESH_ALPN = List.of("istio", "h2", "http/1.1");
    private static final Duration CONNECT_TIMEOUT = Duration.newBuilder().setSeconds(1).build();

    /**
     * An outbound mesh cluster of a sidecar: EDS over ADS, round robin, default outlier detection,
     * mTLS with SNI {@link OutboundName#sni()}, the proxy's own certificate ({@code default}) and the
     * peer verified against {@code ROOTCA} and the given SPIFFE IDs.
     *
     * @param name the destination
     * @param peerSpiffeIds the identities the server side may present (the service accounts behind
     *     the service); empty accepts any identity under the trust bundle
     */
    public Cluster meshCluster(OutboundName name, Collection<String> peerSpiffeIds) {
        return edsCluster(name).toBuilder()
                .setOutlierDetection(defaultOutlierDetection())
                .setTransportSocket(upstreamTls(name.sni(), peerSpiffeIds))
                .build();
    }

    /**
     * A plain EDS cluster: what east-west gateways (which forward still-encrypted bytes) and
     * proxyless gRPC clients on the plaintext port get.
     */
    public Cluster edsCluster(OutboundName name) {
        return Cluster.newBuilder()
                .setName(name.clusterName())
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(Envoy.ads()))
                .setConnectTimeout(CONNECT_TIMEOUT)
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .build();
    }

    /** The inbound cluster of a pod port: STATIC {@code 127.0.0.1:<targetPort>}, the app. */
    public Cluster inboundCluster(int targetPort) {
        String name = XdsNames.inboundCluster(targetPort);
        return Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.STATIC)
                .setConnectTimeout(CONNECT_TIMEOUT)
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .setLoadAssignment(ClusterLoadAssignment.newBuilder()
                        .setClusterName(name)
                        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(LbEndpoint.newBuilder()
                                .setEndpoint(Endpoint.newBuilder().setAddress(Envoy.address("127.0.0.1", targetPort))))))
                .build();
    }

    /**
     * Default outlier detection of mesh clusters: eject after 5 consecutive 5xx or 3 consecutive
     * gateway errors (connect failures count), checked every 2 s, for 15 s, up to every host (so a
     * locality whose hosts all fail is skipped and traffic moves to the next priority).
     */
    public static OutlierDetection defaultOutlierDetection() {
        return OutlierDetection.newBuilder()
                .setConsecutive5Xx(UInt32Value.of(5))
                .setConsecutiveGatewayFailure(UInt32Value.of(3))
                .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(100))
                .setInterval(Duration.newBuilder().setSeconds(2))
                .setBaseEjectionTime(Duration.newBuilder().setSeconds(15))
                .setMaxEjectionPercent(UInt32Value.of(100))
                .build();
    }

    static TransportSocket upstreamTls(String sni, Collection<String> peerSpiffeIds) {
        CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder();
        for (String id : peerSpiffeIds) {
            validation.addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                    .setSanType(SubjectAltNameMatcher.SanType.URI)
                    .setMatcher(StringMatcher.newBuilder().setExact(id)));
        }
        UpstreamTlsContext tls = UpstreamTlsContext.newBuilder()
                .setSni(sni)
                .setCommonTlsContext(CommonTlsContext.newBuilder()
                        .addTlsCertificateSdsSecretConfigs(Envoy.sds(XdsNames.WORKLOAD_SECRET))
                        .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                                .setDefaultValidationContext(validation)
                                .setValidationContextSdsSecretConfig(Envoy.sds(XdsNames.ROOT_SECRET)))
                        .addAllAlpnProtocols(MESH_ALPN))
                .build();
        return TransportSocket.newBuilder().setName(Envoy.TLS).setTypedConfig(Envoy.any(tls)).build();
    }
}
