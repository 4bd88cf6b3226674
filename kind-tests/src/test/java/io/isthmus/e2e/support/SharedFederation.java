package io.isthmus.e2e.support;

import io.isthmus.e2e.local.FederationOptions;
import io.isthmus.e2e.local.LocalFederation;
import io.isthmus.e2e.net.Ip;
import io.isthmus.e2e.net.Isolation;
import io.isthmus.e2e.net.NetworkMode;
import io.isthmus.e2e.topology.TopologyLoader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The one local federation the scenario classes of a test run share (starting one costs about a
 * minute on two cores): started on first use from {@code topology-configs/<name>}, stopped when
 * the whole run ends, at which point the summary table of every scenario report is printed.
 */
public final class SharedFederation implements AutoCloseable, ExtensionContext.Store.CloseableResource {
    /** The topology of the scene and most scenarios. */
    public static final String TWO_CLUSTERS = "two-clusters-multi-network.yaml";
    /** A primary-remote federation: north has no controller and uses east's through east's gateway. */
    public static final String PRIMARY_REMOTE = "three-clusters-primary-remote.yaml";
    /** The mesh's edges: east runs an ingress and an egress gateway; a client and an HTTPS service live outside. */
    public static final String INGRESS_EGRESS = "ingress-egress.yaml";

    /** The scene with east's client in transparent capture (TPROXY). */
    public static final String CAPTURE = "two-clusters-capture.yaml";

    /** Workload certificates live 2 minutes, so every proxy renews during the run (the rotation scenario checks it). */
    public static final Duration CERT_TTL = Duration.ofSeconds(Long.getLong("isthmus.e2e.certTtlSeconds", 120));

    private static SharedFederation current;

    private final String topologyFile;
    private final LocalFederation federation;

    private SharedFederation(String topologyFile, LocalFederation federation) {
        this.topologyFile = topologyFile;
        this.federation = federation;
    }

    /** The shared federation of {@code topologyFile}, started on first use; aborts (skips) when this machine cannot run it. */
    public static LocalFederation get(ExtensionContext context, String topologyFile) {
        return get(context, topologyFile, NetworkMode.NETNS);
    }

    /**
     * The shared federation of {@code topologyFile} in {@code mode}, started on first use; aborts
     * (skips) when this machine cannot run it (loopback mode runs anywhere, namespaces need root).
     */
    public static LocalFederation get(ExtensionContext context, String topologyFile, NetworkMode mode) {
        if (mode == NetworkMode.LOOPBACK) {
            assumeLocalTarget();
        } else {
            assumeCanRun();
        }
        // one federation per topology and mode; the namespace mode keeps the file name as its key
        String key = mode == NetworkMode.LOOPBACK ? topologyFile + "#loopback" : topologyFile;
        ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.create(SharedFederation.class));
        synchronized (SharedFederation.class) {
            // One federation runs on a machine at a time: a class asking for another topology
            // stops the previous one (classes are ordered so that each topology's run together).
            if (current != null && !current.topologyFile.equals(key)) {
                current.close();
                store.remove(current.topologyFile);
                current = null;
            }
            SharedFederation shared = store.getOrComputeIfAbsent(key, k -> new SharedFederation(k, LocalFederation.start(
                    TopologyLoader.load(topologies().resolve(topologyFile)),
                    new FederationOptions(runDir(topologyFile, mode), Duration.ofSeconds(180), line -> { }, CERT_TTL, mode))),
                    SharedFederation.class);
            current = shared;
            return shared.federation;
        }
    }

    /** Aborts the calling test (not a failure) unless network namespaces can be made here. */
    public static void assumeCanRun() {
        assumeLocalTarget();
        Assumptions.assumeTrue(Ip.netnsAvailable(),
                "the local federation needs root and 'ip netns' (CI runs as root); not available here");
        Assumptions.assumeTrue(System.getenv(Isolation.OUTER_NETNS_ENV) != null,
                "the test JVM is not inside an isolated network namespace (run through failsafe: kind-tests/netns-jdk/bin/java)");
    }

    /** Aborts the calling test unless the scenarios target the local federation (not kind). */
    public static void assumeLocalTarget() {
        Assumptions.assumeFalse("kind".equals(System.getProperty("isthmus.e2e.target")),
                "target kind: this drives the local federation itself, not kind clusters");
    }

    /** {@code topology-configs/}. */
    public static Path topologies() {
        return Path.of(System.getProperty("isthmus.topologies", "../topology-configs"));
    }

    /** {@code target/e2e}. */
    public static Path workDir() {
        return Path.of(System.getProperty("isthmus.e2e.workDir", "target/e2e"));
    }

    /**
     * Where one federation keeps its PKI, pods and process logs: {@code target/e2e/<topology>[-loopback]},
     * so a later topology's start does not wipe the logs of the one before.
     */
    static Path runDir(String topologyFile, NetworkMode mode) {
        String name = topologyFile.replaceFirst("\\.ya?ml$", "");
        return workDir().resolve(mode == NetworkMode.LOOPBACK ? name + "-loopback" : name);
    }

    /** {@code target/e2e-reports}. */
    public static Path reportDir() {
        return workDir().resolveSibling("e2e-reports");
    }

    @Override
    public void close() {
        federation.close();
    }
}
