package io.isthmus.e2e.topology;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One cluster of the federation.
 *
 * @param name         the cluster id ({@code topology.istio.io/cluster}), unique
 * @param network      the network its pods sit on ({@code topology.istio.io/network}); clusters
 *                     on the same network reach each other's pods directly
 * @param role         primary (runs a controller) or remote (its proxies use a primary's)
 * @param controlPlane for a remote cluster, the primary whose controller it uses; empty for primaries
 * @param nodes        its nodes with their localities, at least one
 * @param gateways     its edge gateways (at most one ingress and one egress), each on a node's zone
 */
public record ClusterSpec(String name, String network, Role role, String controlPlane, List<NodeSpec> nodes,
                          List<GatewaySpec> gateways) {

    /** Whether a cluster runs its own controller. */
    public enum Role {
        /** Runs a controller that watches its own API server and those of its remote secrets. */
        PRIMARY,
        /** Has no controller; its proxies reach a primary's controller through that primary's gateway. */
        REMOTE
    }

    public ClusterSpec {
        Specs.requireName("clusters.name", name);
        Specs.requireName("clusters[" + name + "].network", network);
        if (role == null) {
            throw new TopologyException("clusters[" + name + "].role: required (primary or remote)");
        }
        controlPlane = controlPlane == null ? "" : controlPlane;
        if (role == Role.REMOTE && controlPlane.isEmpty()) {
            throw new TopologyException("clusters[" + name + "].controlPlane: required for a remote cluster");
        }
        if (role == Role.PRIMARY && !controlPlane.isEmpty()) {
            throw new TopologyException("clusters[" + name + "].controlPlane: only a remote cluster names a control plane");
        }
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new TopologyException("clusters[" + name + "].nodes: at least one node is required");
        }
        Set<String> nodeNames = new HashSet<>();
        for (NodeSpec n : nodes) {
            if (!nodeNames.add(n.name())) {
                throw new TopologyException("clusters[" + name + "].nodes[" + n.name() + "].name: duplicate node name");
            }
        }
        gateways = gateways == null ? List.of() : List.copyOf(gateways);
        Set<GatewaySpec.Kind> kinds = new HashSet<>();
        for (GatewaySpec g : gateways) {
            String at = "clusters[" + name + "].gateways[" + g.kind().name().toLowerCase(java.util.Locale.ROOT) + "]";
            if (!kinds.add(g.kind())) {
                throw new TopologyException(at + ".kind: at most one gateway of each kind per cluster");
            }
            if (nodes.stream().noneMatch(n -> n.zone().equals(g.zone()))) {
                throw new TopologyException(at + ".zone: cluster '" + name + "' has no node in zone '" + g.zone() + "'");
            }
        }
    }

    /** A cluster without edge gateways. */
    public ClusterSpec(String name, String network, Role role, String controlPlane, List<NodeSpec> nodes) {
        this(name, network, role, controlPlane, nodes, List.of());
    }

    /** Its gateway of this kind, if it runs one. */
    public Optional<GatewaySpec> gateway(GatewaySpec.Kind kind) {
        return gateways.stream().filter(g -> g.kind() == kind).findFirst();
    }

    /** The first node in this zone. */
    public Optional<NodeSpec> node(String zone) {
        return nodes.stream().filter(n -> n.zone().equals(zone)).findFirst();
    }
}
