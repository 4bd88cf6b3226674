package io.isthmus.controller.translate;

import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.isthmus.controller.config.TrafficPolicy;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.OutboundName;
import io.isthmus.mesh.XdsNames;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * EDS: the {@code ClusterLoadAssignment} of one outbound cluster as one proxy must see it.
 *
 * <p>Split horizon: endpoints on the proxy's own network are sent as they are (pod IP : target
 * port); the serving endpoints of every other network are replaced by one endpoint at that
 * network's east-west gateway, weighted by how many stand behind it, placed in the locality of the
 * nearest of them. A network with no known gateway is unreachable and left out. Localities are
 * grouped with priorities from {@link Locality#priorityFrom} compressed to 0, 1, 2... so that the
 * nearest group present is always priority 0. Instances without a sidecar ({@link WorkloadEndpoint#takesMeshMtls})
 * are sent only to proxies of their own network, marked {@code tlsMode: disabled}; no gateway routes to them.
 */
public final class EndpointTranslator {

    /** Filter-metadata namespace under which each endpoint carries its cluster and network. */
    public static final String METADATA_NAMESPACE = "istio";

    /**
     * The assignment for a sidecar (or proxyless client): split horizon and locality priorities.
     *
     * @param name the cluster name to assign
     * @param service the service
     * @param port the service port
     * @param subset the labels a subset selects; empty for the whole service
     * @param view the proxy
     * @param gatewayOf the east-west gateway of a network, or null when it has none
     */
    public ClusterLoadAssignment forProxy(OutboundName name, FederatedService service, ServicePort port,
            Map<String, String> subset, ProxyView view, Function<String, NetworkGateway> gatewayOf) {
        return forProxy(name, service, port, subset, view, gatewayOf, Optional.empty());
    }

    /**
     * The assignment for a sidecar with a DestinationRule's {@code localityLbSetting}: {@code enabled:
     * false} puts everything at one priority; {@code failoverPriority} ranks endpoints first by how
     * many of the listed labels (in order) they share with the proxy, then by locality;
     * {@code failover} makes region {@code to} the next choice of proxies in region {@code from},
     * before every other region; a {@code distribute} rule whose {@code from} matches the proxy's locality
     * weighs localities instead of ranking them (a proxy no rule matches keeps the ranking by locality).
     */
    public ClusterLoadAssignment forProxy(OutboundName name, FederatedService service, ServicePort port,
            Map<String, String> subset, ProxyView view, Function<String, NetworkGateway> gatewayOf,
            Optional<TrafficPolicy.LocalityLb> localityLb) {
        Objects.requireNonNull(gatewayOf, "gatewayOf");
        Optional<TrafficPolicy.Distribute> distribute = localityLb.flatMap(lb -> lb.distributeFrom(view.locality()));
        Ranking rank = new Ranking(view, distribute.isPresent() ? Optional.empty() : localityLb, distribute.isPresent());
        List<Placed> placed = new ArrayList<>();
        Map<String, List<WorkloadEndpoint>> remote = new TreeMap<>();
        for (WorkloadEndpoint e : service.endpoints()) {
            if (!e.health().serving() || !e.matches(subset)) {
                continue;
            }
            if (view.network().isEmpty() || e.network().isEmpty() || e.network().equals(view.network())) {
                placed.add(new Placed(e.locality(), direct(e, port), rank.of(e)));
            } else if (e.takesMeshMtls()) {
                // the gateway routes the mesh's mTLS by SNI: an instance without a sidecar is out of reach there
                remote.computeIfAbsent(e.network(), k -> new ArrayList<>()).add(e);
            }
        }
        for (Map.Entry<String, List<WorkloadEndpoint>> r : remote.entrySet()) {
            NetworkGateway gw = gatewayOf.apply(r.getKey());
            if (gw == null) {
                continue;
            }
            List<WorkloadEndpoint> behind = r.getValue();
            Locality nearest = behind.stream().map(WorkloadEndpoint::locality)
                    .min(Comparator.comparingInt((Locality l) -> l.priorityFrom(view.locality())).thenComparing(Locality::toString))
                    .orElseThrow();
            LbEndpoint lb = LbEndpoint.newBuilder()
                    .setEndpoint(Endpoint.newBuilder().setAddress(Envoy.address(gw.address(), gw.port())))
                    .setHealthStatus(HealthStatus.HEALTHY)
                    .setLoadBalancingWeight(UInt32Value.of(behind.size()))
                    .setMetadata(metadata(gw.cluster(), gw.network(), true))
                    .build();
            placed.add(new Placed(nearest, lb, behind.stream().mapToInt(rank::of).min().orElseThrow()));
        }
        return distribute.isPresent() ? distributed(name, placed, distribute.get()) : assemble(name, placed);
    }

    /**
     * The assignment under a {@code distribute} rule, as Istio's {@code applyLocalityWeight}: one priority; each
     * {@code to} locality's weight split over the localities it takes in proportion to their own weights (rounded
     * up); localities no {@code to} takes get no endpoints. The proxy's balancer then picks localities by weight,
     * scaled by how much of each is available, so a locality whose endpoints all fail gives its share to the others.
     */
    private static ClusterLoadAssignment distributed(OutboundName name, List<Placed> placed, TrafficPolicy.Distribute rule) {
        List<Placed> kept = placed.stream().filter(p -> rule.targetOf(p.locality).isPresent()).toList();
        ClusterLoadAssignment cla = assemble(name, kept);
        Map<TrafficPolicy.DistributeTarget, Long> totals = new java.util.HashMap<>();
        for (LocalityLbEndpoints g : cla.getEndpointsList()) {
            totals.merge(rule.targetOf(locality(g)).orElseThrow(), (long) g.getLoadBalancingWeight().getValue(), Long::sum);
        }
        ClusterLoadAssignment.Builder out = cla.toBuilder();
        for (LocalityLbEndpoints.Builder g : out.getEndpointsBuilderList()) {
            TrafficPolicy.DistributeTarget t = rule.targetOf(locality(g.build())).orElseThrow();
            long share = -Math.floorDiv(-(long) g.getLoadBalancingWeight().getValue() * t.weight(), totals.get(t));
            g.setLoadBalancingWeight(UInt32Value.of((int) Math.max(1, share)));
        }
        return out.build();
    }

    private static Locality locality(LocalityLbEndpoints g) {
        return new Locality(g.getLocality().getRegion(), g.getLocality().getZone(), g.getLocality().getSubZone());
    }

    /**
     * The assignment for an east-west gateway: only the serving endpoints with a sidecar on the networks it
     * serves, sent directly.
     */
    public ClusterLoadAssignment forGateway(OutboundName name, FederatedService service, ServicePort port,
            Map<String, String> subset, ProxyView view) {
        List<Placed> placed = new ArrayList<>();
        for (WorkloadEndpoint e : service.endpoints()) {
            if (e.health().serving() && e.matches(subset) && view.servedNetworks().contains(e.network()) && e.takesMeshMtls()) {
                placed.add(new Placed(e.locality(), direct(e, port), e.locality().priorityFrom(view.locality())));
            }
        }
        return assemble(name, placed);
    }

    private static LbEndpoint direct(WorkloadEndpoint e, ServicePort port) {
        return LbEndpoint.newBuilder()
                .setEndpoint(Endpoint.newBuilder().setAddress(Envoy.address(e.address(), e.targetPort(port))))
                .setHealthStatus(HealthStatus.HEALTHY)
                .setLoadBalancingWeight(UInt32Value.of(1))
                .setMetadata(metadata(e.cluster(), e.network(), e.takesMeshMtls()))
                .build();
    }

    /**
     * An endpoint's metadata: its cluster and network, and its {@code tlsMode} under
     * {@value XdsNames#TRANSPORT_SOCKET_MATCH}, which an auto-mTLS cluster's {@code transport_socket_matches} pick
     * the mesh's mTLS or plaintext by.
     */
    private static Metadata metadata(String cluster, String network, boolean meshMtls) {
        Struct s = Struct.newBuilder()
                .putFields("cluster", Value.newBuilder().setStringValue(cluster).build())
                .putFields("network", Value.newBuilder().setStringValue(network).build())
                .build();
        return Metadata.newBuilder().putFilterMetadata(METADATA_NAMESPACE, s)
                .putFilterMetadata(XdsNames.TRANSPORT_SOCKET_MATCH, meshMtls ? TLS_MODE_ISTIO : TLS_MODE_DISABLED).build();
    }

    /** {@code tlsMode: istio}: an endpoint's transport-socket metadata where a sidecar runs, and the mTLS match's labels. */
    static final Struct TLS_MODE_ISTIO = tlsMode(MeshLabels.TLS_MODE_ISTIO);
    /** {@code tlsMode: disabled}: an endpoint's transport-socket metadata where none runs. */
    static final Struct TLS_MODE_DISABLED = tlsMode(MeshLabels.TLS_MODE_DISABLED);

    private static Struct tlsMode(String mode) {
        return Struct.newBuilder().putFields(XdsNames.TLS_MODE_KEY, Value.newBuilder().setStringValue(mode).build()).build();
    }

    private static ClusterLoadAssignment assemble(OutboundName name, List<Placed> placed) {
        Map<Group, List<LbEndpoint>> groups = new LinkedHashMap<>();
        placed.stream()
                .sorted(Comparator.comparingInt((Placed p) -> p.rank).thenComparing(p -> p.locality.toString())
                        .thenComparing(p -> addressOf(p.endpoint)))
                .forEach(p -> groups.computeIfAbsent(new Group(p.locality, p.rank), k -> new ArrayList<>()).add(p.endpoint));
        TreeSet<Integer> raw = new TreeSet<>();
        groups.keySet().forEach(g -> raw.add(g.rank));
        List<Integer> ranks = new ArrayList<>(raw);
        ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name.clusterName());
        for (Map.Entry<Group, List<LbEndpoint>> g : groups.entrySet()) {
            Locality l = g.getKey().locality;
            int weight = g.getValue().stream().mapToInt(e -> e.getLoadBalancingWeight().getValue()).sum();
            cla.addEndpoints(LocalityLbEndpoints.newBuilder()
                    .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder()
                            .setRegion(l.region()).setZone(l.zone()).setSubZone(l.subZone()))
                    .addAllLbEndpoints(g.getValue())
                    .setLoadBalancingWeight(UInt32Value.of(Math.max(1, weight)))
                    .setPriority(ranks.indexOf(g.getKey().rank)));
        }
        return cla.build();
    }

    private static String addressOf(LbEndpoint e) {
        var sa = e.getEndpoint().getAddress().getSocketAddress();
        return sa.getAddress() + ":" + sa.getPortValue();
    }

    private record Placed(Locality locality, LbEndpoint endpoint, int rank) {
    }

    private record Group(Locality locality, int rank) {
    }

    /** Raw (uncompressed) priority of an endpoint as one proxy sees it; lower is nearer. */
    private static final class Ranking {
        private final ProxyView view;
        private final Optional<TrafficPolicy.LocalityLb> lb;

        private final boolean onePriority;

        /** @param onePriority every endpoint at one priority ({@code distribute} weighs localities instead) */
        Ranking(ProxyView view, Optional<TrafficPolicy.LocalityLb> lb, boolean onePriority) {
            this.view = view;
            this.lb = lb;
            this.onePriority = onePriority;
        }

        int of(WorkloadEndpoint e) {
            if (onePriority || lb.isPresent() && !lb.get().enabled()) {
                return 0;
            }
            int p = e.locality().priorityFrom(view.locality());
            if (p == 3) {
                boolean failoverTarget = lb.isPresent() && lb.get().failover().stream().anyMatch(f ->
                        f.from().equals(view.locality().region()) && f.to().equals(e.locality().region()));
                p = failoverTarget ? 3 : 4;
            }
            if (lb.isEmpty() || lb.get().failoverPriority().isEmpty()) {
                return p;
            }
            List<String> keys = lb.get().failoverPriority();
            int matched = 0;
            for (String key : keys) {
                String mine = label(key, view.network(), view.locality(), view.clusterId(), view.labels());
                String theirs = label(key, e.network(), e.locality(), e.cluster(), e.labels());
                if (mine.isEmpty() || !mine.equals(theirs)) {
                    break;
                }
                matched++;
            }
            return (keys.size() - matched) * 8 + p;
        }

        private static String label(String key, String network, Locality l, String cluster, Map<String, String> labels) {
            return switch (key) {
                case MeshLabels.NETWORK -> network;
                case MeshLabels.REGION -> l.region();
                case MeshLabels.ZONE -> l.zone();
                case MeshLabels.SUBZONE -> l.subZone();
                case MeshLabels.CLUSTER -> cluster;
                default -> labels.getOrDefault(key, "");
            };
        }
    }
}
