package io.isthmus.controller.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.isthmus.controller.config.DestinationRule;
import io.isthmus.controller.config.MeshConfig;
import io.isthmus.controller.config.MeshSettings;
import io.isthmus.controller.config.ServiceEntry;
import io.isthmus.controller.config.TrafficPolicy;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.mesh.OutboundName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The outbound clusters and endpoints of one service as a sidecar (or an ingress/egress gateway,
 * which sees the mesh like a sidecar) receives them: per port and per DestinationRule subset
 * {@code outbound|P|subset|host}, shaped by the DestinationRule's policy for that subset and port.
 * Mesh services and MESH_INTERNAL entries get mesh mTLS by default ({@link AutoMtls}), MESH_EXTERNAL entries nothing;
 * a cluster without the mesh's mTLS gets no endpoints of other networks (their east-west gateway routes mTLS by SNI);
 * STATIC entries and mesh services get split-horizon EDS, DNS entries STRICT_DNS clusters that carry
 * their own names, NONE entries ORIGINAL_DST clusters.
 */
final class OutboundClusters {
    private final ClusterTranslator clusters;
    private final EndpointTranslator endpoints;
    private final String trustDomain;

    OutboundClusters(ClusterTranslator clusters, EndpointTranslator endpoints, String trustDomain) {
        this.clusters = Objects.requireNonNull(clusters, "clusters");
        this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    }

    /**
     * Adds the clusters (CDS) and, for EDS clusters, the assignments (EDS) of one service.
     *
     * @param view the proxy
     * @param s the service
     * @param entry the ServiceEntry behind it, or null for a registry service
     * @param dr the DestinationRule for its host seen from the proxy's namespace
     * @param cfg the mesh's config: MeshConfig defaults, PeerAuthentications for {@link AutoMtls}
     * @param gatewayOf the east-west gateway of a network, or null
     * @param cds where clusters go, by name
     * @param eds where assignments go, by cluster name
     */
    void add(ProxyView view, FederatedService s, ServiceEntryServices.Entry entry, Optional<DestinationRule> dr,
            MeshConfig cfg, Function<String, NetworkGateway> gatewayOf, Map<String, Cluster> cds,
            Map<String, ClusterLoadAssignment> eds) {
        MeshSettings mesh = cfg.settings();
        // a ServiceEntry names no identities: any mesh identity under the trust bundle is accepted
        List<String> sans = entry != null ? List.of() : new ArrayList<>(s.spiffeIds(trustDomain));
        boolean external = entry != null && entry.location() == ServiceEntry.Location.MESH_EXTERNAL;
        for (ServicePort p : s.ports()) {
            TrafficPolicy policy = dr.map(d -> d.policyFor("", p.port())).orElse(TrafficPolicy.EMPTY);
            Optional<TrafficPolicy.LocalityLb> localityLb = policy.loadBalancer().flatMap(TrafficPolicy.LoadBalancer::locality)
                    .or(mesh::localityLbSetting);
            OutboundName name = OutboundName.of(s.hostname(), p.port());
            add(view, s, p, name, Map.of(), entry, sans, external, policy, cfg, localityLb, gatewayOf, cds, eds);
            for (DestinationRule.Subset subset : dr.map(DestinationRule::subsets).orElse(List.of())) {
                TrafficPolicy sp = dr.get().policyFor(subset.name(), p.port());
                Optional<TrafficPolicy.LocalityLb> subsetLb = sp.loadBalancer()
                        .flatMap(TrafficPolicy.LoadBalancer::locality).or(() -> localityLb);
                OutboundName sub = new OutboundName(p.port(), subset.name(), s.hostname());
                add(view, s, p, sub, subset.labels(), entry, sans, external, sp, cfg, subsetLb, gatewayOf, cds, eds);
            }
        }
    }

    private void add(ProxyView view, FederatedService s, ServicePort p, OutboundName name, Map<String, String> labels,
            ServiceEntryServices.Entry entry, List<String> sans, boolean external, TrafficPolicy policy, MeshConfig cfg,
            Optional<TrafficPolicy.LocalityLb> localityLb, Function<String, NetworkGateway> gatewayOf,
            Map<String, Cluster> cds, Map<String, ClusterLoadAssignment> eds) {
        MeshSettings mesh = cfg.settings();
        if (entry != null && entry.passthrough()) {
            cds.put(name.clusterName(), meshDefaults(p, policy, mesh,
                    ServiceEntryServices.originalDstCluster(clusters.externalCluster(name, policy))));
            return;
        }
        if (entry != null && entry.dns()) {
            cds.put(name.clusterName(), meshDefaults(p, policy, mesh,
                    clusters.dnsCluster(name, dnsTargets(entry.source(), s.hostname(), p, labels), external, policy,
                            mesh.enableAutoMtls())));
            return;
        }
        boolean autoMtls = !external && (entry != null ? mesh.enableAutoMtls() : AutoMtls.mtls(cfg, s, p, labels));
        Cluster cluster = meshDefaults(p, policy, mesh, external ? clusters.externalCluster(name, policy)
                : clusters.meshCluster(name, sans, policy, autoMtls));
        if (localityLb.isPresent() && !localityLb.get().distribute().isEmpty()) {
            // as Istio: Envoy weighs localities by the assignment's locality weights only when told to
            cluster = cluster.toBuilder().setCommonLbConfig(cluster.getCommonLbConfig().toBuilder()
                    .setLocalityWeightedLbConfig(Cluster.CommonLbConfig.LocalityWeightedLbConfig.getDefaultInstance())).build();
        }
        cds.put(name.clusterName(), cluster);
        // Other networks are reached through their east-west gateway, which routes the mesh's mTLS by its SNI: a
        // cluster speaking plaintext or other TLS to the service gets only endpoints of the proxy's own network, as in
        // Istio.
        boolean meshMtls = ClusterTranslator.tlsMode(policy.tls(), autoMtls) == TrafficPolicy.TlsMode.ISTIO_MUTUAL;
        Function<String, NetworkGateway> gateways = meshMtls ? gatewayOf : network -> null;
        eds.put(name.clusterName(), endpoints.forProxy(name, s, p, labels, view, gateways, localityLb));
    }

    /**
     * HTTP/2 upstream for HTTP2 and gRPC ports (gRPC needs HTTP/2 end to end: trailers, streams), and for HTTP ports
     * whose DestinationRule says {@code h2UpgradePolicy: UPGRADE}, or says nothing ({@code DEFAULT}) under a mesh-wide
     * {@code UPGRADE}, as Istio does; other ports are left alone.
     */
    private static Cluster protocol(ServicePort p, TrafficPolicy policy, MeshSettings mesh, Cluster c) {
        TrafficPolicy.H2UpgradePolicy rule = policy.connectionPool().map(TrafficPolicy.ConnectionPool::h2UpgradePolicy)
                .orElse(TrafficPolicy.H2UpgradePolicy.DEFAULT);
        TrafficPolicy.H2UpgradePolicy effective = rule == TrafficPolicy.H2UpgradePolicy.DEFAULT ? mesh.h2UpgradePolicy() : rule;
        boolean upgrade = p.protocol().isHttp() && effective == TrafficPolicy.H2UpgradePolicy.UPGRADE;
        return p.protocol().isHttp2() || upgrade ? ClusterTranslator.http2(c) : c;
    }

    /**
     * What the MeshConfig sets where the DestinationRule does not: the upstream protocol ({@link #protocol}) and the
     * connect timeout ({@code connectTimeout}).
     */
    private static Cluster meshDefaults(ServicePort p, TrafficPolicy policy, MeshSettings mesh, Cluster c) {
        Cluster shaped = protocol(p, policy, mesh, c);
        boolean ruleSetsIt = policy.connectionPool().flatMap(TrafficPolicy.ConnectionPool::connectTimeout).isPresent();
        if (mesh.connectTimeout().isEmpty() || ruleSetsIt) {
            return shaped;
        }
        return shaped.toBuilder().setConnectTimeout(ClusterTranslator.protoDuration(mesh.connectTimeout().get())).build();
    }

    /**
     * The names a DNS entry's cluster resolves: each endpoint whose labels match the subset (its port
     * by port name, else the port's target port), or the host itself when the entry lists none.
     */
    static List<ClusterTranslator.DnsTarget> dnsTargets(ServiceEntry se, String host, ServicePort p,
            Map<String, String> subset) {
        List<ClusterTranslator.DnsTarget> out = new ArrayList<>();
        if (se.endpoints().isEmpty()) {
            out.add(new ClusterTranslator.DnsTarget(host, p.targetPort(), ""));
            return out;
        }
        for (ServiceEntry.Endpoint e : se.endpoints()) {
            if (e.labels().entrySet().containsAll(subset.entrySet())) {
                out.add(new ClusterTranslator.DnsTarget(e.address(), e.ports().getOrDefault(p.name(), p.targetPort()),
                        e.locality()));
            }
        }
        return out;
    }
}
