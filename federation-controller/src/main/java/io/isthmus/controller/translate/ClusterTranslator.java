package io.isthmus.controller.translate;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.isthmus.controller.config.TrafficPolicy;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.OutboundName;
import io.isthmus.mesh.XdsNames;
import java.util.Collection;
import io.isthmus.controller.registry.FederatedService;
import java.util.List;
import java.util.Optional;

/**
 * CDS: outbound EDS clusters {@code outbound|P|subset|host} (mTLS to the peer sidecar with the
 * service's SPIFFE identities, or plain for gateways and proxyless clients), STRICT_DNS clusters of
 * DNS ServiceEntries, TLS origination by DestinationRule, and the inbound STATIC clusters
 * {@code inbound|P||} that point at the app on loopback.
 */
public final class ClusterTranslator {
    /** ALPN offered upstream, Istio's order; the peer picks. */
    public static final List<String> MESH_ALPN = List.of("istio", "h2", "http/1.1");
    /** Prefix of SDS secret names that stand for a Kubernetes Secret of the proxy's namespace. */
    public static final String CREDENTIAL_PREFIX = "kubernetes://";
    /** Suffix of the SDS secret holding a credential's CA certificates. */
    public static final String CACERT_SUFFIX = "-cacert";
    /** The key of the HTTP protocol options in {@code typed_extension_protocol_options}. */
    public static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    private static final Duration CONNECT_TIMEOUT = Duration.newBuilder().setSeconds(1).build();
    private static final Duration DNS_REFRESH = Duration.newBuilder().setSeconds(5).build();

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
     * An outbound mesh cluster shaped by a DestinationRule's traffic policy (already narrowed to the
     * cluster's port, {@link TrafficPolicy#forPort}): load balancer, outlier detection (else the
     * default), connection pool limits as circuit breakers and connect timeout, and TLS
     * ({@link #transportSocket}: the mesh's mTLS unless the policy says otherwise).
     */
    public Cluster meshCluster(OutboundName name, Collection<String> peerSpiffeIds, TrafficPolicy policy) {
        return meshCluster(name, peerSpiffeIds, policy, true);
    }

    /**
     * An outbound mesh cluster as {@link #meshCluster(OutboundName, Collection, TrafficPolicy)}, whose TLS, when the
     * policy says none, is the mesh's mTLS only with {@code autoMtls} ({@link AutoMtls}), else plaintext.
     */
    public Cluster meshCluster(OutboundName name, Collection<String> peerSpiffeIds, TrafficPolicy policy, boolean autoMtls) {
        Cluster.Builder c = edsCluster(name).toBuilder();
        shape(c, policy, true);
        Optional<TransportSocket> socket = transportSocket(name, peerSpiffeIds, policy.tls(), autoMtls);
        if (policy.tls().isEmpty() && socket.isPresent()) {
            autoMtlsMatches(socket.get()).forEach(c::addTransportSocketMatches);
        } else {
            socket.ifPresent(c::setTransportSocket);
        }
        return c.build();
    }

    /**
     * Auto mTLS per endpoint, as Istio sends it: the mesh's mTLS to endpoints whose metadata says {@code tlsMode:
     * istio} (a sidecar runs there, {@link EndpointTranslator}), plaintext to every other one. A DestinationRule that
     * names a TLS mode gets that mode for every endpoint instead.
     */
    static List<Cluster.TransportSocketMatch> autoMtlsMatches(TransportSocket mtls) {
        return List.of(Cluster.TransportSocketMatch.newBuilder().setName("tlsMode-" + MeshLabels.TLS_MODE_ISTIO)
                .setMatch(EndpointTranslator.TLS_MODE_ISTIO).setTransportSocket(mtls).build(), PLAINTEXT_MATCH);
    }

    /** Istio's second auto-mTLS match: every endpoint the first does not take, in plaintext ({@code raw_buffer}). */
    private static final Cluster.TransportSocketMatch PLAINTEXT_MATCH = Cluster.TransportSocketMatch.newBuilder()
            .setName("tlsMode-" + MeshLabels.TLS_MODE_DISABLED).setMatch(Struct.getDefaultInstance())
            .setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.raw_buffer")
                    .setTypedConfig(Envoy.any(RawBuffer.getDefaultInstance()))).build();

    /**
     * An outbound EDS cluster of a MESH_EXTERNAL ServiceEntry: shaped like a mesh cluster by the
     * traffic policy, but no outlier detection unless the policy asks and no transport socket unless
     * the policy's {@code tls} says one, so the bytes leave as the app sent them (an app speaking
     * HTTPS does its own TLS).
     */
    public Cluster externalCluster(OutboundName name, TrafficPolicy policy) {
        Cluster.Builder c = edsCluster(name).toBuilder();
        shape(c, policy, false);
        transportSocket(name, List.of(), policy.tls(), false).ifPresent(c::setTransportSocket);
        return c.build();
    }

    /**
     * A STRICT_DNS cluster of a DNS ServiceEntry: the proxy resolves each name (IPv4, every 5 s) and
     * balances over every address found; shaped like {@link #externalCluster} (MESH_EXTERNAL) or
     * {@link #meshCluster} with any mesh identity (MESH_INTERNAL).
     *
     * @param name the cluster
     * @param targets the names (or IPs) and ports to resolve, at least one
     * @param external MESH_EXTERNAL (no mesh mTLS, no default outlier detection)
     * @param policy the traffic policy for this port
     * @param autoMtls whether a MESH_INTERNAL entry gets the mesh's mTLS when the policy says no TLS (MeshConfig
     *     {@code enableAutoMtls})
     */
    public Cluster dnsCluster(OutboundName name, List<DnsTarget> targets, boolean external, TrafficPolicy policy,
            boolean autoMtls) {
        ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name.clusterName());
        java.util.Map<String, LocalityLbEndpoints.Builder> byLocality = new java.util.LinkedHashMap<>();
        for (DnsTarget t : targets) {
            LocalityLbEndpoints.Builder group = byLocality.computeIfAbsent(t.locality(), l -> {
                LocalityLbEndpoints.Builder g = LocalityLbEndpoints.newBuilder();
                if (!l.isEmpty()) {
                    io.isthmus.mesh.Locality loc = io.isthmus.mesh.Locality.parse(l);
                    g.setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder()
                            .setRegion(loc.region()).setZone(loc.zone()).setSubZone(loc.subZone()));
                }
                return g;
            });
            group.addLbEndpoints(LbEndpoint.newBuilder()
                    .setEndpoint(Endpoint.newBuilder().setAddress(Envoy.address(t.address(), t.port()))));
        }
        byLocality.values().forEach(cla::addEndpoints);
        Cluster.Builder c = Cluster.newBuilder()
                .setName(name.clusterName())
                .setType(Cluster.DiscoveryType.STRICT_DNS)
                .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_ONLY)
                .setDnsRefreshRate(DNS_REFRESH)
                .setConnectTimeout(CONNECT_TIMEOUT)
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .setLoadAssignment(cla);
        shape(c, policy, !external);
        transportSocket(name, List.of(), policy.tls(), !external && autoMtls).ifPresent(c::setTransportSocket);
        return c.build();
    }

    /**
     * One name a STRICT_DNS cluster resolves.
     *
     * @param address a host name or IP
     * @param port the port to connect to
     * @param locality {@code region/zone/subzone}, empty = unknown
     */
    public record DnsTarget(String address, int port, String locality) {
        public DnsTarget {
            java.util.Objects.requireNonNull(address, "address");
            java.util.Objects.requireNonNull(locality, "locality");
        }
    }

    private static void shape(Cluster.Builder c, TrafficPolicy policy, boolean defaultOutlier) {
        policy.loadBalancer().ifPresent(lb -> {
            if (lb.consistentHash().isPresent()) {
                ConsistentHashTranslator.applyTo(c, lb.consistentHash().get());
                return;
            }
            c.setLbPolicy(switch (lb.simple()) {
                case LEAST_REQUEST -> Cluster.LbPolicy.LEAST_REQUEST;
                case RANDOM -> Cluster.LbPolicy.RANDOM;
                case ROUND_ROBIN, PASSTHROUGH -> Cluster.LbPolicy.ROUND_ROBIN;
            });
        });
        if (policy.outlierDetection().isPresent()) {
            c.setOutlierDetection(outlier(policy.outlierDetection().get()));
        } else if (defaultOutlier) {
            c.setOutlierDetection(defaultOutlierDetection());
        }
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
            if (pool.maxRequestsPerConnection() > 0 || pool.idleTimeout().isPresent()) {
                HttpProtocolOptions current = httpOptions(c);
                io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.Builder common = current.getCommonHttpProtocolOptions().toBuilder();
                if (pool.maxRequestsPerConnection() > 0) {
                    common.setMaxRequestsPerConnection(UInt32Value.of(pool.maxRequestsPerConnection()));
                }
                pool.idleTimeout().ifPresent(d -> common.setIdleTimeout(protoDuration(d)));
                HttpProtocolOptions.Builder next = current.toBuilder().setCommonHttpProtocolOptions(common);
                if (next.getUpstreamProtocolOptionsCase() == HttpProtocolOptions.UpstreamProtocolOptionsCase.UPSTREAMPROTOCOLOPTIONS_NOT_SET) {
                    // Envoy requires an upstream protocol next to the common options: HTTP/1.1, the default
                    next.setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                            .setHttpProtocolOptions(io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions.getDefaultInstance()));
                }
                c.putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Envoy.any(next.build()));
            }
        });
    }

    /** The cluster's {@code HttpProtocolOptions} so far, the default instance when it has none. */
    private static HttpProtocolOptions httpOptions(Cluster.Builder c) {
        com.google.protobuf.Any any = c.getTypedExtensionProtocolOptionsMap().get(HTTP_PROTOCOL_OPTIONS);
        if (any == null) {
            return HttpProtocolOptions.getDefaultInstance();
        }
        try {
            return any.unpack(HttpProtocolOptions.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException("the cluster's own HttpProtocolOptions cannot be decoded", e);
        }
    }

    /**
     * The transport socket of an outbound cluster from a DestinationRule's {@code tls}:
     * {@code ISTIO_MUTUAL} (and no {@code tls} when {@code meshByDefault}) is the mesh shape of
     * {@link #upstreamTls} (its {@code sni} and {@code subjectAltNames} replace the mesh SNI and
     * identities when given); {@code SIMPLE}/{@code MUTUAL} originate TLS ({@link #originateTls});
     * {@code DISABLE} (and no {@code tls} otherwise) is none.
     */
    static Optional<TransportSocket> transportSocket(OutboundName name, Collection<String> peerSpiffeIds,
            Optional<TrafficPolicy.Tls> tls, boolean meshByDefault) {
        return switch (tlsMode(tls, meshByDefault)) {
            case DISABLE -> Optional.empty();
            case ISTIO_MUTUAL -> Optional.of(upstreamTls(
                    tls.map(TrafficPolicy.Tls::sni).filter(x -> !x.isEmpty()).orElse(name.sni()),
                    tls.map(TrafficPolicy.Tls::subjectAltNames).filter(x -> !x.isEmpty()).orElse(List.copyOf(peerSpiffeIds))));
            case SIMPLE, MUTUAL -> Optional.of(originateTls(name.host(), tls.orElseThrow()));
        };
    }

    /** The TLS a cluster speaks: the policy's {@code tls.mode}, else the mesh's mTLS when {@code meshByDefault}, else none. */
    static TrafficPolicy.TlsMode tlsMode(Optional<TrafficPolicy.Tls> tls, boolean meshByDefault) {
        return tls.map(TrafficPolicy.Tls::mode)
                .orElse(meshByDefault ? TrafficPolicy.TlsMode.ISTIO_MUTUAL : TrafficPolicy.TlsMode.DISABLE);
    }

    /**
     * TLS originated by the proxy ({@code SIMPLE}, {@code MUTUAL}): SNI = {@code tls.sni} else the
     * host; the server verified against {@code caCertificates} (a file, {@code trusted_ca.filename})
     * else the SDS secret {@code kubernetes://<credentialName>-cacert}, and its certificate must carry
     * one of the DNS names {@code subjectAltNames} (else the SNI); no verification at all with
     * {@code insecureSkipVerify}; {@code MUTUAL} presents the SDS secret
     * {@code kubernetes://<credentialName>}.
     */
    static TransportSocket originateTls(String host, TrafficPolicy.Tls tls) {
        String sni = !tls.sni().isEmpty() ? tls.sni() : host.startsWith("*") ? "" : host;
        CommonTlsContext.Builder common = CommonTlsContext.newBuilder();
        if (tls.mode() == TrafficPolicy.TlsMode.MUTUAL) {
            common.addTlsCertificateSdsSecretConfigs(Envoy.sds(CREDENTIAL_PREFIX + tls.credentialName()));
        }
        if (!tls.insecureSkipVerify()) {
            CertificateValidationContext.Builder v = CertificateValidationContext.newBuilder();
            List<String> names = !tls.subjectAltNames().isEmpty() ? tls.subjectAltNames()
                    : sni.isEmpty() ? List.of() : List.of(sni);
            for (String n : names) {
                v.addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                        .setSanType(SubjectAltNameMatcher.SanType.DNS)
                        .setMatcher(StringMatcher.newBuilder().setExact(n)));
            }
            if (!tls.caCertificates().isEmpty()) {
                v.setTrustedCa(DataSource.newBuilder().setFilename(tls.caCertificates()));
                common.setValidationContext(v);
            } else {
                common.setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                        .setDefaultValidationContext(v)
                        .setValidationContextSdsSecretConfig(Envoy.sds(CREDENTIAL_PREFIX + tls.credentialName() + CACERT_SUFFIX)));
            }
        }
        UpstreamTlsContext.Builder u = UpstreamTlsContext.newBuilder().setCommonTlsContext(common);
        if (!sni.isEmpty()) {
            u.setSni(sni);
        }
        return TransportSocket.newBuilder().setName(Envoy.TLS).setTypedConfig(Envoy.any(u.build())).build();
    }

    private static OutlierDetection outlier(TrafficPolicy.OutlierDetection o) {
        OutlierDetection.Builder b = OutlierDetection.newBuilder()
                .setInterval(protoDuration(o.interval()))
                .setBaseEjectionTime(protoDuration(o.baseEjectionTime()))
                .setMaxEjectionPercent(UInt32Value.of(o.maxEjectionPercent()))
                // Istio: success-rate ejection off (Envoy would enforce it at 100 % by default).
                .setEnforcingSuccessRate(UInt32Value.of(0));
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

    static Duration protoDuration(java.time.Duration d) {
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

    /**
     * The cluster with HTTP/2 to its upstream, as Istio sends for HTTP2 and gRPC ports:
     * {@code typed_extension_protocol_options[envoy.extensions.upstreams.http.v3.HttpProtocolOptions]
     * {explicit_http_config{http2_protocol_options{}}}}, keeping the {@code common_http_protocol_options}
     * a DestinationRule's connection pool put there.
     */
    public static Cluster http2(Cluster c) {
        HttpProtocolOptions h2 = httpOptions(c.toBuilder()).toBuilder()
                .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                        .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                .build();
        return c.toBuilder().putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Envoy.any(h2)).build();
    }

    /** The inbound cluster of a pod port: STATIC {@code 127.0.0.1:<targetPort>}, the app. */
    public Cluster inboundCluster(int targetPort) {
        return inboundCluster(targetPort, "127.0.0.1");
    }

    /** The inbound cluster of a pod port whose app listens on {@code appAddress}: STATIC {@code <appAddress>:<targetPort>}. */
    public Cluster inboundCluster(int targetPort, String appAddress) {
        return inboundCluster(targetPort, appAddress, List.of());
    }

    /**
     * The inbound cluster of a pod port whose app listens on {@code appAddress}, serving {@code services} there: as
     * Istio, its metadata {@code filter_metadata.istio.services} lists them ({@code host}, {@code name},
     * {@code namespace}), which the proxy's metrics report as {@code destination_service}.
     */
    public Cluster inboundCluster(int targetPort, String appAddress, List<FederatedService> services) {
        String name = XdsNames.inboundCluster(targetPort);
        com.google.protobuf.ListValue.Builder list = com.google.protobuf.ListValue.newBuilder();
        for (FederatedService s : services) {
            list.addValues(com.google.protobuf.Value.newBuilder().setStructValue(com.google.protobuf.Struct.newBuilder()
                    .putFields("host", string(s.hostname()))
                    .putFields("name", string(s.name()))
                    .putFields("namespace", string(s.namespace()))));
        }
        Cluster.Builder c = Cluster.newBuilder();
        if (!services.isEmpty()) {
            c.setMetadata(io.envoyproxy.envoy.config.core.v3.Metadata.newBuilder().putFilterMetadata(
                    EndpointTranslator.METADATA_NAMESPACE, com.google.protobuf.Struct.newBuilder()
                            .putFields("services", com.google.protobuf.Value.newBuilder().setListValue(list).build()).build()));
        }
        return c
                .setName(name)
                .setType(Cluster.DiscoveryType.STATIC)
                .setConnectTimeout(CONNECT_TIMEOUT)
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .setLoadAssignment(ClusterLoadAssignment.newBuilder()
                        .setClusterName(name)
                        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(LbEndpoint.newBuilder()
                                .setEndpoint(Endpoint.newBuilder().setAddress(Envoy.address(appAddress, targetPort))))))
                .build();
    }

    private static com.google.protobuf.Value string(String s) {
        return com.google.protobuf.Value.newBuilder().setStringValue(s).build();
    }

    /**
     * Default outlier detection of mesh clusters: eject after 5 consecutive 5xx or 3 consecutive
     * gateway errors (connect failures count), checked every 2 s, for 15 s, up to every host (so a
     * locality whose hosts all fail is skipped and traffic moves to the next priority). Success-rate
     * ejection is off, as Istio sends it (Envoy's default would enforce it at 100 %).
     */
    public static OutlierDetection defaultOutlierDetection() {
        return OutlierDetection.newBuilder()
                .setEnforcingSuccessRate(UInt32Value.of(0))
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
