package io.isthmus.e2e.local;

import io.isthmus.e2e.demo.ControlServer;
import io.isthmus.e2e.net.Ip;
import io.isthmus.e2e.net.Isolation;
import io.isthmus.e2e.net.LoopbackNetwork;
import io.isthmus.e2e.net.NetworkMode;
import io.isthmus.e2e.net.NetworkSandbox;
import io.isthmus.e2e.topology.Topology;
import io.isthmus.e2e.topology.TopologyLoader;
import io.isthmus.mesh.WellKnownPorts;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code isthmus local up <topology>} / {@code isthmus local down}: a whole federation on this
 * machine. With root and {@code ip netns}, {@code up} makes the outer network namespace
 * {@code isthmus-local} (no route off the machine), runs itself inside it and gives every pod its
 * own namespace; otherwise (or with {@code --no-netns}) it runs in loopback mode, every part on
 * its own 127.x.y.z addresses and the networks NOT isolated, and says so. Either way it prints
 * progress and then a summary, and runs until Ctrl-C. {@code down} stops a running {@code up} and
 * removes every {@code isthmus-*} namespace and every process a loopback run left.
 */
@Command(name = "local", mixinStandardHelpOptions = true, description = "Runs a local federation on this machine.",
        subcommands = {LocalCommand.Up.class, LocalCommand.Down.class})
public final class LocalCommand {
    /** The outer namespace of {@code isthmus local up}. */
    public static final String OUTER = "isthmus-local";
    private static final Path PID_FILE = Path.of("/run/isthmus-local.pid");
    /** The pid of a running loopback-mode {@code up}. */
    private static final Path LOOPBACK_PID_FILE = Path.of(LoopbackNetwork.lockFile().toString().replaceFirst("\\.lock$", ".pid"));

    /** Runs standalone. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalCommand()).execute(args));
    }

    /** {@code isthmus local up}. */
    @Command(name = "up", mixinStandardHelpOptions = true, description = "Starts the federation of a topology file and runs until Ctrl-C.")
    public static final class Up implements java.util.concurrent.Callable<Integer> {
        @Parameters(index = "0", paramLabel = "TOPOLOGY", description = "Topology file, e.g. topology-configs/two-clusters-multi-network.yaml")
        Path topology;
        @Option(names = "--work-dir", defaultValue = ".isthmus/local", description = "PKI, kubeconfigs and logs (default: ${DEFAULT-VALUE}).")
        Path workDir;
        @Option(names = "--no-netns", description = "Loopback mode even where network namespaces could be made: every part on its own"
                + " 127.x.y.z addresses, no privileges needed, networks NOT isolated (the default without root or 'ip netns').")
        boolean noNetns;

        @Override
        public Integer call() throws Exception {
            PrintStream out = System.out;
            Topology t;
            try {
                t = TopologyLoader.load(topology);
            } catch (io.isthmus.e2e.topology.TopologyException e) {
                System.err.println("isthmus local: " + e.getMessage());
                return 2;
            }
            NetworkMode mode = System.getenv(Isolation.OUTER_NETNS_ENV) != null ? NetworkMode.NETNS
                    : noNetns ? NetworkMode.LOOPBACK : NetworkMode.AUTO.resolve(Ip.netnsAvailable());
            if (mode == NetworkMode.NETNS && System.getenv(Isolation.OUTER_NETNS_ENV) == null) {
                return reexecInside(out);
            }
            if (mode == NetworkMode.LOOPBACK) {
                warnLoopback(out, noNetns);
                if (t.hasEdges()) {
                    System.err.println("isthmus local: topology " + t.name() + " declares edge gateways or external services, which"
                            + " need network namespaces (root and 'ip netns'); loopback mode runs topologies without edges,"
                            + " e.g. topology-configs/two-clusters-multi-network.yaml");
                    return 2;
                }
                Files.writeString(LOOPBACK_PID_FILE, Long.toString(ProcessHandle.current().pid()));
            }
            Files.createDirectories(workDir);
            LocalFederation fed;
            try {
                fed = LocalFederation.start(t, new FederationOptions(workDir.toAbsolutePath(), Duration.ofSeconds(180),
                        line -> out.println("  " + line), Duration.ZERO, mode));
            } catch (RuntimeException e) {
                System.err.println("isthmus local: the federation did not come up: " + e.getMessage());
                System.err.println("  logs: " + workDir.toAbsolutePath().resolve("logs") + "; everything started was stopped");
                deleteLoopbackPid(mode);
                return 1;
            }
            if (fed.topology().hasEdges()) {
                Path edgesDir = topology.toAbsolutePath().getParent().resolve("manifests").resolve("edges");
                try {
                    EdgeManifests.installDemo(fed, edgesDir).forEach(line -> out.println("  " + line));
                } catch (RuntimeException e) {
                    System.err.println("isthmus local: the edges' config was not installed (" + e.getMessage() + "); apply "
                            + edgesDir + "/*.yaml yourself");
                }
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                out.println("isthmus local: stopping...");
                fed.close();
                deleteLoopbackPid(mode);
                stopped.countDown();
            }, "local-down"));
            out.println(summary(fed));
            stopped.await();
            return 0;
        }

        private static void warnLoopback(PrintStream out, boolean asked) {
            String why = asked ? "--no-netns was given" : "no root or no 'ip netns' here";
            out.println("isthmus local: ============================================================================");
            out.println("isthmus local: LOOPBACK MODE (" + why + "): NETWORKS ARE NOT ISOLATED.");
            out.println("isthmus local:   Every API server, controller, gateway and pod gets its own 127.x.y.z addresses on this");
            out.println("isthmus local:   machine's loopback. Any pod can reach any other network's pods directly; the mesh");
            out.println("isthmus local:   still routes cross-network calls through the east-west gateways. Pods resolve mesh");
            out.println("isthmus local:   names from a hosts file of their own (-Djdk.net.hosts.file). For isolation run it as");
            out.println("isthmus local:   root without --no-netns: one network namespace per pod.");
            out.println("isthmus local: ============================================================================");
        }

        private static void deleteLoopbackPid(NetworkMode mode) {
            if (mode == NetworkMode.LOOPBACK) {
                try {
                    Files.deleteIfExists(LOOPBACK_PID_FILE);
                } catch (IOException e) {
                    // gone or not ours: nothing to do
                }
            }
        }

        private Integer reexecInside(PrintStream out) throws IOException, InterruptedException {
            out.println("isthmus local: making the outer network namespace " + OUTER + " (only loopback, no route off this machine)");
            if (!NetworkSandbox.cleanStaleIfIdle()) {
                out.println("isthmus local: another local federation runs on this machine (the e2e suite or another `up`); stop it first");
                return 3;
            }
            Ip.ip("netns", "add", OUTER);
            Ip.ip("-n", OUTER, "link", "set", "lo", "up");
            // nsenter, not `ip netns exec`: the mount namespace stays the machine's, so the pod
            // namespaces made inside are usable from any shell (ip netns exec <pod> curl ...).
            List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + OUTER, ChildProcess.javaBinary()));
            cmd.addAll(ChildProcess.LEAN_FLAGS);
            Files.createDirectories(workDir);
            cmd.add("-Dorg.slf4j.simpleLogger.logFile=" + workDir.toAbsolutePath().resolve("local.log"));
            cmd.addAll(List.of("-cp", ChildProcess.classpath(), LocalCommand.class.getName(), "up", topology.toAbsolutePath().toString(),
                    "--work-dir", workDir.toAbsolutePath().toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
            pb.environment().put(Isolation.OUTER_NETNS_ENV, OUTER);
            Process p = pb.start();
            Files.writeString(PID_FILE, Long.toString(p.pid()));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                p.destroy();
                try {
                    p.waitFor(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Ip.ipQuietly("netns", "del", OUTER);
            }, "local-outer-down"));
            int rc = p.waitFor();
            Ip.ipQuietly("netns", "del", OUTER);
            Files.deleteIfExists(PID_FILE);
            return rc;
        }
    }

    /** {@code isthmus local down}. */
    @Command(name = "down", mixinStandardHelpOptions = true, description = "Stops a running local federation and removes what it made.")
    public static final class Down implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            stop(PID_FILE);
            stop(LOOPBACK_PID_FILE);
            if (!LoopbackNetwork.cleanStaleIfIdle()) {
                System.out.println("isthmus local: a loopback federation still runs (another process holds "
                        + LoopbackNetwork.lockFile() + "); left alone");
                return 1;
            }
            boolean netns = Ip.netnsAvailable();
            if (netns && !NetworkSandbox.cleanStaleIfIdle()) {
                System.out.println("isthmus local: no loopback-run process remains; a network-namespace federation still runs"
                        + " (another process, e.g. the e2e suite, holds /run/isthmus-local.lock); left alone");
                return 1;
            }
            System.out.println("isthmus local: down; no process of a loopback run remains"
                    + (netns ? " and no isthmus-* network namespace" : ""));
            return 0;
        }

        /** Stops the {@code up} whose pid a file holds (SIGTERM: it stops what it started), and removes the file. */
        private static void stop(Path pidFile) throws IOException {
            if (!Files.exists(pidFile)) {
                return;
            }
            try {
                long pid = Long.parseLong(Files.readString(pidFile).trim());
                ProcessHandle.of(pid).filter(h -> h.info().commandLine().map(c -> c.contains(LocalCommand.class.getName())
                        || c.contains("isthmus")).orElse(true)).ifPresent(h -> {
                            h.destroy();
                            h.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(e -> null).join();
                        });
            } catch (NumberFormatException e) {
                System.out.println("isthmus local: " + pidFile + " holds no pid; removed");
            }
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                System.out.println("isthmus local: cannot remove " + pidFile + " (" + e.getMessage() + "); a root run needs root to stop");
            }
        }
    }

    /** {@code host:port} of the topology's first gRPC service port, if it has one. */
    private static java.util.Optional<String> grpcTarget(LocalFederation fed) {
        return fed.topology().services().stream()
                .flatMap(s -> s.ports().stream().filter(p -> p.protocol() == io.isthmus.e2e.topology.PortSpec.Protocol.GRPC)
                        .map(p -> io.isthmus.mesh.MeshLabels.serviceHostname(s.name(), s.namespace()) + ":" + p.port()))
                .findFirst();
    }

    /** What runs where, and commands to try. */
    static String summary(LocalFederation fed) {
        if (fed.networkMode() == NetworkMode.LOOPBACK) {
            return loopbackSummary(fed);
        }
        StringBuilder b = new StringBuilder("\nLocal federation '" + fed.topology().name() + "' is up (Ctrl-C or `isthmus local down` stops it).\n");
        for (SimulatedCluster c : fed.clusters()) {
            b.append(String.format("  cluster %-8s network %-14s API %s  controller %s%n", c.name(), c.spec().network(), c.api().url(),
                    c.controller() == null ? "-" : c.nodeAddress() + ":" + WellKnownPorts.XDS_SECURE));
            for (PodHandle p : c.pods()) {
                b.append(String.format("    pod %-22s %-12s zone %-12s netns isthmus-%s-%s%n", p.name(), p.record().address(),
                        p.record().zone(), c.name(), p.name()));
            }
        }
        for (String n : fed.topology().networks()) {
            GatewayProcess g = fed.gateway(n);
            if (g != null) {
                b.append(String.format("  east-west gateway of %-14s %s:%d%n", n, g.publicAddress(), WellKnownPorts.EAST_WEST_PASSTHROUGH));
            }
        }
        String client = fed.clusters().get(0).pods().stream().filter(p -> p.record().service().equals("client")).findFirst()
                .map(p -> "isthmus-" + p.record().cluster() + "-" + p.name()).orElse("isthmus-<cluster>-<pod>");
        b.append("\nTry (as root):\n");
        b.append("  ip netns exec ").append(client).append(" curl -s http://reviews.default.svc.cluster.local:9080/\n");
        b.append("      call reviews by its hostname from the client pod (its DNS and sidecar do the rest)\n");
        grpcTarget(fed).ifPresent(t -> b.append("  ip netns exec ").append(OUTER).append(" curl -s 'http://<client-ip>:")
                .append(ControlServer.PORT).append("/grpc/hello?target=").append(t).append("'\n")
                .append("      the same over gRPC from the client pod's app (/grpc/watch?count=5&target=... streams; docs/demo-app.md)\n"));
        b.append("  ip netns exec ").append(OUTER).append(" curl -s 'http://<client-ip>:").append(ControlServer.PORT)
                .append("/fault?code=503'   make a pod's app fail (code=0 heals)\n");
        b.append("  kill <pid of a reviews pod in east>   (ps aux | grep reviews-v1) and watch the calls move to west\n");
        b.append("  ip netns exec ").append(client).append(" curl -s localhost:").append(WellKnownPorts.METRICS)
                .append("/stats/prometheus | grep istio_requests_total\n");
        if (fed.topology().hasEdges()) {
            b.append("  ip netns exec isthmus-outside-client curl -s --cacert ").append(fed.edges().ingressCaFile())
                    .append(" https://bookinfo.example.test/\n");
            b.append("      from outside the mesh, through the ingress gateway (TLS by SNI; installed from\n")
                    .append("      topology-configs/manifests/edges/ingress.yaml, credentials in istio-system)\n");
            b.append("  ip netns exec ").append(client).append(" curl -s http://api.external.test/\n")
                    .append("      to the external HTTPS service through the egress gateway (manifests/edges/egress.yaml)\n");
        }
        b.append("  logs: ").append(fed.options().workDir().resolve("logs")).append('\n');
        return b.toString();
    }

    /** The summary of a loopback-mode federation: addresses instead of namespaces, and what isolation it lacks. */
    static String loopbackSummary(LocalFederation fed) {
        StringBuilder b = new StringBuilder("\nLocal federation '" + fed.topology().name() + "' is up in LOOPBACK mode"
                + " (Ctrl-C or `isthmus local down` stops it).\n");
        b.append("  NETWORKS ARE NOT ISOLATED: every part has its own 127.x.y.z address on this machine's loopback and any pod\n")
                .append("  can reach any other network's pods directly; the mesh still routes cross-network calls through the\n")
                .append("  east-west gateways. Run as root (sudo ./isthmus local up ...) for one network namespace per pod.\n");
        for (SimulatedCluster c : fed.clusters()) {
            b.append(String.format("  cluster %-8s network %-14s API %s  controller %s%n", c.name(), c.spec().network(), c.api().url(),
                    c.controller() == null ? "-" : c.nodeAddress() + ":" + WellKnownPorts.XDS_SECURE));
            for (PodHandle p : c.pods()) {
                b.append(String.format("    pod %-22s ip %-12s zone %-12s (app .2, outbound .3 of its /24)%n", p.name(),
                        p.record().address(), p.record().zone()));
            }
        }
        for (String n : fed.topology().networks()) {
            GatewayProcess g = fed.gateway(n);
            if (g != null) {
                b.append(String.format("  east-west gateway of %-14s %s:%d%n", n, g.publicAddress(), WellKnownPorts.EAST_WEST_PASSTHROUGH));
            }
        }
        String client = fed.clusters().get(0).pods().stream().filter(p -> p.record().service().equals("client")).findFirst()
                .map(p -> p.record().address()).orElse("<client-pod-ip>");
        String outbound = client.endsWith(".1") ? client.substring(0, client.length() - 1) + "3" : "<client-outbound-address>";
        b.append("\nTry (no root needed):\n");
        b.append("  curl -s 'http://").append(client).append(':').append(ControlServer.PORT)
                .append("/call?url=http://reviews.default.svc.cluster.local:9080/'\n")
                .append("      the client pod's app calls reviews by its hostname (its JVM's hosts file maps it to the pod's\n")
                .append("      outbound address, where its sidecar listens)\n");
        b.append("  curl -s -H 'Host: reviews.default.svc.cluster.local' http://").append(outbound).append(":9080/\n")
                .append("      the same call straight into the client's sidecar\n");
        grpcTarget(fed).ifPresent(t -> b.append("  curl -s 'http://").append(client).append(':').append(ControlServer.PORT)
                .append("/grpc/hello?target=").append(t).append("'\n")
                .append("      the same over gRPC from the client pod's app (/grpc/watch?count=5&target=... streams; docs/demo-app.md)\n"));
        b.append("  curl -s 'http://").append(client).append(':').append(ControlServer.PORT)
                .append("/fault?code=503'   make a pod's app fail (code=0 heals)\n");
        b.append("  kill <pid of a reviews pod in east>   (ps aux | grep reviews-v1) and watch the calls move to west\n");
        b.append("  curl -s http://").append(client).append(':').append(WellKnownPorts.METRICS)
                .append("/stats/prometheus | grep istio_requests_total\n");
        b.append("  logs: ").append(fed.options().workDir().resolve("logs")).append('\n');
        return b.toString();
    }
}
