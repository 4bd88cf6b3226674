package io.isthmus.controller.translate;

import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
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
import io.isthmus.controller.config.TrafficPolicy;
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
        return meshCluster(name, peerSpiffeIds, TrafficPolicy.EMPTY);
    }

    /**
     * An outbound mesh cluster shaped by a DestinationRule's traffic policy: load balancer, outlier
     * detection (else the default), connection pool limits as circuit breakers and connect timeout,
     * and TLS ({@code DISABLE} sends plaintext; anything else is the mesh's mTLS).
     */
    public Cluster meshCluster(OutboundName name, Collection<String> peerSpiffeIds, TrafficPolicy policy) {
        Cluster.Builder c = edsCluster(name).toBuilder();
        policy.loadBalancer().ifPresent(lb -> c.setLbPolicy(switch (lb.simple()) {
            case LEAST_REQUEST -> Cluster.LbPolicy.LEAST_REQUEST;
            case RANDOM -> Cluster.LbPolicy.RANDOM;
            case ROUND_ROBIN, PASSTHROUGH -> Cluster.LbPolicy.ROUND_ROBIN;
        }));
        c.setOutlierDetection(policy.outlierDetection().map(ClusterTranslator::outlier).orElse(defaultOutlierDetection()));
        policy.connectionPool().ifPresent(pool -> {
            CircuitBreakers.Thresholds.Builder t = CircuitBreakers.Thresholds.newBuilder();
            if (pool.maxConnections() > 0) {
                t.setMaxConnections(UInt32Value.of(pool.maxConnections()));
            }
            if (pool.http1MaxPendingRequests() > 0) {
                t.setMaxPendingRequests(UInt32Value.of(pool.http1MaxPendingRequests()));
            }
            if (pool.http2MaxRequests() > 0) {
                t.setMaxRequests(UInt32Value.of(pool.http2MaxRequests()));
            }
            if (pool.maxRetries() > 0) {
                t.setMaxRetries(UInt32Value.of(pool.maxRetries()));
            }
            c.setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(t));
            pool.connectTimeout().ifPresent(d -> c.setConnectTimeout(protoDuration(d)));
        });
        boolean plaintext = policy.tls().map(t -> t.mode() == TrafficPolicy.TlsMode.DISABLE).orElse(false);
        if (!plaintext) {
            c.setTransportSocket(upstreamTls(name.sni(), peerSpiffeIds));
        }
        return c.build();
    }

    /**
     * An outbound cluster of a MESH_EXTERNAL ServiceEntry: shaped like a mesh cluster by the traffic
     * policy, but with no transport socket, so the bytes leave as the app sent them (an app speaking
     * HTTPS does its own TLS).
     */
    public Cluster externalCluster(OutboundName name, TrafficPolicy policy) {
        return meshCluster(name, List.of(), policy).toBuilder().clearTransportSocket().build();
    }

    private static OutlierDetection outlier(TrafficPolicy.OutlierDetection o) {
        OutlierDetection.Builder b = OutlierDetection.newBuilder()
                .setInterval(protoDuration(o.interval()))
                .setBaseEjectionTime(protoDuration(o.baseEjectionTime()))
                .setMaxEjectionPercent(UInt32Value.of(o.maxEjectionPercent()));
        if (o.consecutive5xxErrors() > 0) {
            b.setConsecutive5Xx(UInt32Value.of(o.consecutive5xxErrors()));
        } else {
            b.setEnforcingConsecutive5Xx(UInt32Value.of(0));
        }
        if (o.consecutiveGatewayErrors() > 0) {
            b.setConsecutiveGatewayFailure(UInt32Value.of(o.consecutiveGatewayErrors()))
                    .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(100));
        }
        return b.build();
    }

    private static Duration protoDuration(java.time.Duration d) {
        return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
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
