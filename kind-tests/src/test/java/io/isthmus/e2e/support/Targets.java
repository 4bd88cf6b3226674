package io.isthmus.e2e.support;

import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.kind.KindFederation;
import io.isthmus.e2e.driver.kind.KindOptions;
import io.isthmus.e2e.local.LocalFederation;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Which federation the scenarios drive: the local one (default) or real kind clusters with
 * {@code -Disthmus.e2e.target=kind} (connected once per run over
 * {@code -Disthmus.e2e.kind.contexts}, see {@link KindOptions}); and the scenario side of
 * {@link Capability}: a step the target cannot do aborts the scenario with the target's reason.
 */
public final class Targets implements AutoCloseable, ExtensionContext.Store.CloseableResource {
    /** The system property selecting the target. */
    public static final String PROPERTY = "isthmus.e2e.target";

    private final KindFederation kind;

    private Targets(KindFederation kind) {
        this.kind = kind;
    }

    /** Whether the scenarios target kind clusters. */
    public static boolean kindSelected() {
        return "kind".equals(System.getProperty(PROPERTY));
    }

    /**
     * The kind federation for a scenario class of {@code topology} asking for a parameter of type
     * {@code type}; aborts when kind cannot serve it: up.sh installs the two-cluster and the
     * primary-remote topologies, one at a time (the scenarios of the other abort), and a class that
     * asks for the {@link LocalFederation} itself drives the local runner's own parts.
     */
    static Federation kind(ExtensionContext context, String topology, Class<?> type) {
        Assumptions.assumeTrue(SharedFederation.TWO_CLUSTERS.equals(topology) || SharedFederation.PRIMARY_REMOTE.equals(topology),
                () -> "target kind: kind-tests/kind/up.sh installs " + SharedFederation.TWO_CLUSTERS + " or "
                        + SharedFederation.PRIMARY_REMOTE + "; this scenario needs " + topology);
        Assumptions.assumeTrue(type == Federation.class, () -> "target kind: this scenario drives the local federation's own parts ("
                + type.getSimpleName() + ")");
        KindFederation kind = context.getRoot().getStore(ExtensionContext.Namespace.create(Targets.class)).getOrComputeIfAbsent("kind",
                k -> new Targets(KindFederation.connect(KindOptions.from(System::getProperty, System::getenv))), Targets.class).kind;
        Assumptions.assumeTrue(topology.equals(kind.topologyName()), () -> "target kind: the kind clusters of this run are "
                + kind.topologyName() + "; this scenario needs " + topology + " (kind-tests/kind/up.sh --topology " + topology
                + ", then test.sh)");
        return kind;
    }

    /** Aborts the calling scenario, naming the target's reason, unless {@code federation} can do {@code capability}. */
    public static void require(Federation federation, Capability capability) {
        federation.unsupported(capability).ifPresent(reason -> Assumptions.abort("target " + federation.target() + ": " + reason));
    }

    /** The local federation, for a scenario whose steps need {@code capability}: aborts on any other target. */
    public static LocalFederation local(Federation federation, Capability capability) {
        require(federation, capability);
        if (!(federation instanceof LocalFederation local)) {
            throw new IllegalStateException("target " + federation.target() + " claims " + capability + " but is not the local federation");
        }
        return local;
    }

    @Override
    public void close() {
        kind.close();
    }
}
