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
import java.util.Optional;
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
    /** slf4j-simple's log file property: set in the JVM that runs the federation. */
    private static final String LOG_FILE = "org.slf4j.simpleLogger.logFile";
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
        @Option(names = "--wait", description = "When another federation runs on this machine (another up, or the end-to-end"
                + " suite), wait for it to end instead of refusing.")
        boolean waitForOther;

        @Override
        public Integer call() throws Exception {
            PrintStream out = System.out;
            if (!Files.isRegularFile(topology)) {
                System.err.println("isthmus local: no topology file " + topology + " (looked in " + Path.of("").toAbsolutePath() + ")"
                        + shippedTopologies());
                return 2;
            }
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
            if (mode == NetworkMode.LOOPBACK && System.getProperty(LOG_FILE) == null) {
                warnLoopback(out, noNetns);
                if (t.hasEdges()) {
                    System.err.println("isthmus local: topology " + t.name() + " declares edge gateways or external services, which"
                            + " need network namespaces (root and 'ip netns'); loopback mode runs topologies without edges,"
                            + " e.g. topology-configs/two-clusters-multi-network.yaml");
                    return 2;
                }
                // a JVM of its own whose log goes to a file, so that the terminal shows only progress and summary
                return Runner.reexec(runnerCommand(List.of(), List.of("--no-netns")), null, () -> { });
            }
            if (mode == NetworkMode.LOOPBACK) {
                Files.writeString(LOOPBACK_PID_FILE, Long.toString(ProcessHandle.current().pid()));
            }
            Files.createDirectories(workDir);
            // Ctrl-C before the federation is up: say so; LocalFederation.start stops what it started when its
            // children die, and the outer process (namespace mode) removes whatever is left.
            java.util.concurrent.atomic.AtomicBoolean up = new java.util.concurrent.atomic.AtomicBoolean();
            Thread early = new Thread(() -> {
                if (!up.get()) {
                    System.err.println("isthmus local: interrupted while starting; stopping what was started");
                    deleteLoopbackPid(mode);
                }
            }, "local-interrupted");
            Runtime.getRuntime().addShutdownHook(early);
            LocalFederation fed;
            try {
                fed = LocalFederation.start(t, new FederationOptions(workDir.toAbsolutePath(), Duration.ofSeconds(180),
                        line -> out.println("  " + line), Duration.ZERO, mode));
            } catch (RuntimeException | Error e) {
                up.set(true); // not interrupted: failed, and said so here
                System.err.println("isthmus local: the federation did not come up: " + (e instanceof Error ? e.toString() : e.getMessage()));
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
            up.set(true);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                out.println("isthmus local: stopping...");
                fed.close();
                deleteLoopbackPid(mode);
                stopped.countDown();
            }, "local-down"));
            out.println(LocalSummary.of(fed));
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
            boolean said = false;
            while (!NetworkSandbox.cleanStaleIfIdle()) {
                if (!waitForOther) {
                    System.err.println("isthmus local: " + holder(true) + "; only one federation runs on a machine at a time"
                            + " (`local up --wait` waits for it)");
                    return 3;
                }
                if (!said) {
                    out.println("isthmus local: waiting until it ends: " + holder(false));
                    said = true;
                }
                Thread.sleep(2_000);
            }
            out.println("isthmus local: making the outer network namespace " + OUTER + " (only loopback, no route off this machine)");
            Ip.ip("netns", "add", OUTER);
            Ip.ip("-n", OUTER, "link", "set", "lo", "up");
            // nsenter, not `ip netns exec`: the mount namespace stays the machine's, so the pod
            // namespaces made inside are usable from any shell (ip netns exec <pod> curl ...).
            java.util.concurrent.atomic.AtomicBoolean cleaned = new java.util.concurrent.atomic.AtomicBoolean();
            return Runner.reexec(runnerCommand(List.of("nsenter", "--net=/run/netns/" + OUTER), List.of()), PID_FILE,
                    () -> Runner.cleanUpAfter(cleaned, out));
        }

        /** The command line of the JVM that runs the federation, its log in {@code <work>/local.log}. */
        private List<String> runnerCommand(List<String> prefix, List<String> extraArgs) throws IOException {
            List<String> cmd = new ArrayList<>(prefix);
            cmd.add(ChildProcess.javaBinary());
            cmd.addAll(ChildProcess.LEAN_FLAGS);
            Files.createDirectories(workDir);
            cmd.add("-D" + LOG_FILE + "=" + workDir.toAbsolutePath().resolve("local.log"));
            cmd.addAll(List.of("-cp", ChildProcess.classpath(), LocalCommand.class.getName(), "up", topology.toAbsolutePath().toString(),
                    "--work-dir", workDir.toAbsolutePath().toString()));
            cmd.addAll(extraArgs);
            return cmd;
        }
    }

    /** Runs the federation's JVM in the foreground: Ctrl-C or SIGTERM here stops it, then {@code after} runs once. */
    static final class Runner {
        private Runner() {
        }

        static int reexec(List<String> cmd, Path pidFile, Runnable after) throws IOException, InterruptedException {
            ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
            if (cmd.get(0).equals("nsenter")) {
                pb.environment().put(Isolation.OUTER_NETNS_ENV, OUTER);
            }
            Process p = pb.start();
            if (pidFile != null) {
                Files.writeString(pidFile, Long.toString(p.pid()));
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                p.destroy();
                try {
                    p.waitFor(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                after.run();
            }, "local-outer-down"));
            int rc = p.waitFor();
            after.run();
            return rc;
        }

        /**
         * Once the inner run has ended (stopped, failed or interrupted): removes every {@code isthmus-*}
         * namespace it left and kills what still runs in them, unless another federation took the lock.
         */
        private static synchronized void cleanUpAfter(java.util.concurrent.atomic.AtomicBoolean cleaned, PrintStream out) {
            // synchronized: the shutdown hook must not return (and the JVM halt) while the main thread is still cleaning
            if (!cleaned.compareAndSet(false, true)) {
                return;
            }
            try {
                Files.deleteIfExists(PID_FILE);
                if (outerIsEmpty()) {
                    Ip.ipQuietly("netns", "del", OUTER); // the usual end: the inner run stopped everything in it
                }
                if (NetworkSandbox.cleanStaleIfIdle()) {
                    out.println("isthmus local: stopped; no isthmus-* network namespace is left");
                } else {
                    Ip.ipQuietly("netns", "del", OUTER);
                    out.println("isthmus local: stopped; now " + holder(false));
                }
            } catch (IOException | RuntimeException e) {
                System.err.println("isthmus local: cleaning up failed (" + e.getMessage() + "); run `./isthmus local down`");
            }
        }
    }

    /** Whether nothing runs in the outer namespace any more (or it is gone). */
    private static boolean outerIsEmpty() {
        try {
            return Ip.ip("netns", "pids", OUTER).isBlank();
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** Who holds the machine's federation lock, and, with {@code advice}, what to do about it. */
    static String holder(boolean advice) {
        Optional<Long> up = livePid(PID_FILE);
        if (up.isPresent()) {
            return "a local federation already runs (isthmus local up, pid " + up.get() + ")"
                    + (advice ? ": stop it with `./isthmus local down` or Ctrl-C in its terminal, or use it" : "");
        }
        Optional<String> e2e = java.util.Arrays.stream(Ip.ip("netns", "list").split("\n")).map(l -> l.trim().replaceFirst("\\s.*", ""))
                .filter(n -> n.matches("isthmus-e2e-\\d+")).filter(n -> ProcessHandle.of(Long.parseLong(n.substring(12)))
                        .map(ProcessHandle::isAlive).orElse(false)).findFirst();
        if (e2e.isPresent()) {
            return "the end-to-end suite runs a federation (namespace " + e2e.get() + ", pid " + e2e.get().replaceFirst(".*-", "")
                    + ")" + (advice ? ": wait until it ends (minutes) and run this again" : "");
        }
        return "another process holds /run/isthmus-local.lock (a local federation or the end-to-end suite)"
                + (advice ? ": wait for it, or stop it with `./isthmus local down`" : "");
    }

    /** How many {@code isthmus-*} network namespaces exist. */
    private static long isthmusNamespaces() {
        return java.util.Arrays.stream(Ip.ip("netns", "list").split("\n")).filter(l -> l.startsWith("isthmus-")).count();
    }

    /** The pid a pid file names, if that process still runs. */
    private static Optional<Long> livePid(Path pidFile) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(h -> pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The shipped topologies, when run from the checkout, for an error message. */
    static String shippedTopologies() {
        Path dir = Path.of("topology-configs");
        try (var files = Files.list(dir)) {
            List<String> names = files.filter(f -> f.toString().endsWith(".yaml")).map(Path::toString).sorted().toList();
            return names.isEmpty() ? "" : "; shipped topologies: " + String.join(", ", names);
        } catch (IOException e) {
            return "; the shipped topologies are in the checkout's topology-configs/";
        }
    }

    /** {@code isthmus local down}. */
    @Command(name = "down", mixinStandardHelpOptions = true, description = "Stops a running local federation and removes what it made.")
    public static final class Down implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            boolean stopped = stop(PID_FILE) | stop(LOOPBACK_PID_FILE);
            if (!LoopbackNetwork.cleanStaleIfIdle()) {
                System.out.println("isthmus local: a loopback federation still runs (another process holds "
                        + LoopbackNetwork.lockFile() + "); left alone");
                return 1;
            }
            boolean netns = Ip.netnsAvailable();
            long before = netns ? isthmusNamespaces() : 0;
            if (netns && !NetworkSandbox.cleanStaleIfIdle()) {
                System.out.println("isthmus local: " + (stopped ? "stopped the local federation; now " : "") + holder(false)
                        + "; left alone");
                return stopped ? 0 : 1;
            }
            System.out.println("isthmus local: " + (stopped ? "stopped the local federation" : "no local federation was running")
                    + (!stopped && before > 0 ? "; removed the " + before + " network namespaces (and their processes) an earlier"
                    + " run left" : "") + "; no process of a loopback run" + (netns ? " and no isthmus-* network namespace" : "")
                    + " is left");
            return 0;
        }

        /** Stops the {@code up} whose pid a file holds (SIGTERM: it stops what it started), and removes the file. */
        private static boolean stop(Path pidFile) throws IOException {
            if (!Files.exists(pidFile)) {
                return false;
            }
            boolean stopped = false;
            try {
                long pid = Long.parseLong(Files.readString(pidFile).trim());
                Optional<ProcessHandle> up = ProcessHandle.of(pid).filter(h -> h.info().commandLine()
                        .map(c -> c.contains(LocalCommand.class.getName()) || c.contains("isthmus")).orElse(true));
                if (up.isPresent()) {
                    System.out.println("isthmus local: stopping the federation of pid " + pid + " (up to 30 s)...");
                    up.get().destroy();
                    up.get().onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(e -> null).join();
                    stopped = true;
                }
            } catch (NumberFormatException e) {
                System.out.println("isthmus local: " + pidFile + " holds no pid; removed");
            }
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                System.out.println("isthmus local: cannot remove " + pidFile + " (" + e.getMessage() + "); a root run needs root to stop");
            }
            return stopped;
        }
    }
}
