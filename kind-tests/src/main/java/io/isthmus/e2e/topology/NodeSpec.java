package io.isthmus.e2e.topology;

/**
 * A node of a cluster and where it stands: its labels {@code topology.kubernetes.io/region},
 * {@code topology.kubernetes.io/zone} and {@code topology.istio.io/subzone}.
 *
 * @param name    the node name, unique in its cluster
 * @param region  region label, required
 * @param zone    zone label, required
 * @param subzone subzone label, empty when none
 */
public record NodeSpec(String name, String region, String zone, String subzone) {

    public NodeSpec {
        Specs.requireName("nodes.name", name);
        Specs.requireName("nodes[" + name + "].region", region);
        Specs.requireName("nodes[" + name + "].zone", zone);
        subzone = subzone == null ? "" : subzone;
    }
}
