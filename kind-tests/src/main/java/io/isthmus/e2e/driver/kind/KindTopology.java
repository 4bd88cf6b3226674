package io.isthmus.e2e.driver.kind;

import io.isthmus.e2e.topology.ClusterSpec;
import io.isthmus.e2e.topology.Topology;
import io.isthmus.e2e.topology.TopologyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The topology kind-tests/kind/up.sh installed, as the driver reads it ({@link KindOptions#topology()}):
 * which clusters there must be, which are primaries running a controller, and which primary serves
 * a remote cluster. Without a topology file it knows nothing and the driver falls back to what the
 * clusters hold (a controller Deployment or none).
 */
final class KindTopology {
    private static final Logger LOG = LoggerFactory.getLogger(KindTopology.class);

    private final Topology topology;

    private KindTopology(Topology topology) {
        this.topology = topology;
    }

    /** The topology of {@code options}, checked against the connected clusters; throws naming both when they differ. */
    static KindTopology of(KindOptions options, Set<String> clusters) {
        Topology t = options.topology().map(TopologyLoader::load).orElse(null);
        if (t != null) {
            List<String> expected = t.clusters().stream().map(ClusterSpec::name).toList();
            if (!new HashSet<>(expected).equals(clusters)) {
                throw new IllegalArgumentException("topology " + options.topologyName() + " has clusters " + expected + " but the contexts "
                        + options.contexts() + " are clusters " + clusters + " (kind-tests/kind/up.sh --topology "
                        + options.topologyName() + " makes them; test.sh passes their contexts)");
            }
            for (ClusterSpec spec : t.clusters()) {
                LOG.info("kind cluster [{}] role {}{}", spec.name(), spec.role(),
                        spec.controlPlane().isEmpty() ? "" : " control plane " + spec.controlPlane());
            }
        }
        return new KindTopology(t);
    }

    /** Whether {@code cluster} is a primary (runs a controller), or empty without a topology file. */
    Optional<Boolean> primary(String cluster) {
        return topology == null ? Optional.empty() : topology.cluster(cluster).map(c -> c.role() == ClusterSpec.Role.PRIMARY);
    }

    /** The primary whose controller serves {@code cluster}: itself, or a remote cluster's control plane. */
    String controlPlaneOf(String cluster) {
        return topology == null ? cluster
                : topology.cluster(cluster).map(c -> c.controlPlane().isEmpty() ? c.name() : c.controlPlane()).orElse(cluster);
    }
}
