package io.isthmus.e2e.driver.kind;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The kind node containers as the driver reaches them from the Docker host: a cluster's API server
 * is the {@code kube-apiserver} static pod of its {@code <cluster>-control-plane} container, stopped
 * by moving its manifest out of {@code /etc/kubernetes/manifests} (the kubelet stops the pod; etcd
 * keeps every object) and started by moving it back. Only where {@code docker} answers: the test JVM
 * must run on the Docker host of the kind clusters.
 */
final class KindNodes {
    /** The static pod manifest of the API server inside a kind control-plane node. */
    static final String MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml";
    /** Where it is parked while the API server is stopped (outside the kubelet's manifest directory). */
    static final String PARKED = "/tmp/kube-apiserver.yaml";

    /** Runs a command line; returns its exit status and output. */
    interface Runner {
        /** The result of {@code command}: exit status and combined output. */
        Result run(List<String> command);
    }

    /** A command's exit status and combined output. */
    record Result(int status, String output) {
        Result {
            Objects.requireNonNull(output, "output");
        }
    }

    private final Runner runner;

    KindNodes(Runner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    /** Over the {@code docker} command line of this host. */
    static KindNodes docker() {
        return new KindNodes(KindNodes::exec);
    }

    /** The control-plane node container of kind cluster {@code kindCluster}. */
    static String controlPlane(String kindCluster) {
        return kindCluster + "-control-plane";
    }

    /**
     * Why this host cannot stop {@code kindCluster}'s API server, or empty when it can: docker must
     * answer and the control-plane container must run.
     */
    Optional<String> unavailable(String kindCluster) {
        Result version = runner.run(List.of("docker", "version", "--format", "{{.Server.Version}}"));
        if (version.status() != 0) {
            return Optional.of("a kind API server is the kube-apiserver static pod of its control-plane node container; "
                    + "stopping it means moving " + MANIFEST + " out with docker exec, and docker does not answer on this host ("
                    + firstLine(version.output()) + "): run the scenarios on the Docker host of the kind clusters");
        }
        String node = controlPlane(kindCluster);
        Result running = runner.run(List.of("docker", "inspect", "-f", "{{.State.Running}}", node));
        if (running.status() != 0 || !running.output().trim().equals("true")) {
            return Optional.of("no running container " + node + " on this Docker host (" + firstLine(running.output()) + ")");
        }
        return Optional.empty();
    }

    /** Stops the API server: its static pod manifest leaves the kubelet's directory. */
    void stopApiServer(String kindCluster) {
        exec(kindCluster, "mv", MANIFEST, PARKED);
    }

    /** Starts it again: the manifest goes back (a no-op when it is already there). */
    void startApiServer(String kindCluster) {
        exec(kindCluster, "sh", "-c", "if [ -f " + PARKED + " ]; then mv " + PARKED + " " + MANIFEST + "; fi");
    }

    private void exec(String kindCluster, String... command) {
        List<String> line = new ArrayList<>(List.of("docker", "exec", controlPlane(kindCluster)));
        line.addAll(List.of(command));
        Result r = runner.run(line);
        if (r.status() != 0) {
            throw new IllegalStateException(String.join(" ", line) + " failed (" + r.status() + "): " + firstLine(r.output()));
        }
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }

    private static Result exec(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " did not finish in 60 s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.getMessage() == null ? e.toString() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
