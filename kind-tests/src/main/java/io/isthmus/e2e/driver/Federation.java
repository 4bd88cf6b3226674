package io.isthmus.e2e.driver;

import io.isthmus.trust.cli.CaCommand;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A running federation as the end-to-end scenarios drive it: its clusters and demo pods, and the
 * faults and changes they inject (pods, controllers and gateways killed and back, remote secrets
 * deleted and created). The local federation and real kind clusters implement it; a system
 * property selects the target ({@code -Disthmus.e2e.target=kind}).
 */
public interface Federation extends AutoCloseable {
    /** The target's name: {@code local} or {@code kind}. */
    default String target() {
        return "local";
    }

    /**
     * Why this target cannot do {@code capability} honestly, or empty when it can. A scenario
     * that needs it aborts with the reason.
     */
    default Optional<String> unsupported(Capability capability) {
        return Optional.empty();
    }

    /** A cluster by name; throws naming the clusters there are. */
    MeshCluster cluster(String name);

    /** All clusters. */
    List<? extends MeshCluster> clusters();

    /** The first running pod of a service in a cluster. */
    MeshPod pod(String cluster, String service);

    /**
     * Kills a pod: it stops at once and is not replaced. Where the runner plays the endpoint
     * controller, its endpoint leaves after {@code endpointDelay}; a real cluster's endpoint
     * controller decides that itself.
     */
    void kill(MeshPod pod, Duration endpointDelay);

    /** Starts one more pod of a service in a cluster and zone with a version, and waits until it is ready. */
    MeshPod startPod(String service, String cluster, String zone, String version);

    /** Creates the remote secret of {@code of} in {@code holder}'s system namespace, as {@code isthmus create-remote-secret} makes it. */
    void createRemoteSecret(String holder, String of);

    /** Deletes the remote secret of {@code of} from {@code holder}. */
    void deleteRemoteSecret(String holder, String of);

    /** Kills a cluster's controller(s); their proxies keep their last config. */
    void killController(String cluster);

    /** Starts a cluster's controller(s) again after {@link #killController} and waits until they serve. */
    void restartController(String cluster);

    /** The east-west gateway of a network, or null when none runs. */
    MeshGateway gateway(String network);

    /** The workload certificate lifetime the sidecars ask for (renewal comes at half of it). */
    Duration workloadCertTtl();

    /**
     * The directory where the operator keeps the mesh root ({@code root-cert.pem} and
     * {@code root-key.pem}, as {@code isthmus ca init-root} writes them): the local runner's PKI
     * directory; on kind, up.sh's ({@code <work>/pki}).
     */
    Path caRootDir();

    /**
     * The directory where the operator keeps cluster {@code cluster}'s CA files (Istio's cacerts
     * layout): locally the controller's {@code --ca-dir} itself; on kind up.sh's
     * {@code <work>/pki/<cluster>}, installed by {@link #writeCaFiles}.
     */
    Path caFilesDir(String cluster);

    /**
     * Installs the CA files in {@code dir} as cluster {@code cluster}'s (locally its controller's
     * {@code --ca-dir}; on kind its {@code cacerts} Secret and the demo pods' root ConfigMap); its
     * controller re-reads them.
     */
    void writeCaFiles(String cluster, Path dir);

    /**
     * An operator's {@code isthmus ca issue-intermediate} for {@code cluster} under the root in
     * {@code rootDir}, with {@code extraRoots} (root certificate files) added to the cluster's trust
     * bundle, written into {@link #caFilesDir} and installed by {@link #writeCaFiles}.
     */
    default void issueIntermediate(String cluster, Path rootDir, List<Path> extraRoots) {
        Path out = caFilesDir(cluster);
        List<String> args = new ArrayList<>(List.of("issue-intermediate", "--cluster", cluster, "--root-dir", rootDir.toString(),
                "--out", out.toString()));
        for (Path extra : extraRoots) {
            args.addAll(List.of("--extra-root", extra.toString()));
        }
        args.add("--force");
        StringWriter err = new StringWriter();
        int rc = new CommandLine(new CaCommand()).setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()))
                .execute(args.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException("isthmus ca " + String.join(" ", args) + " failed (exit " + rc + "): " + err);
        }
        writeCaFiles(cluster, out);
    }

    /** Stops what this driver started or holds open (for kind: port-forwards and clients, never the clusters). */
    @Override
    void close();
}
