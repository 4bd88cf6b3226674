package io.isthmus.e2e.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The local federation's network without network namespaces or privileges: every part gets its
 * own addresses on this machine's loopback ({@link LoopbackPlan}). Nothing is isolated: a pod can
 * reach every other pod, gateway and API server directly; the mesh still sends cross-network calls
 * through the east-west gateways because that is what the controller tells the proxies. One
 * loopback federation runs per user at a time (a lock file in the temporary directory); every
 * process it starts carries {@link #MARKER} on its command line, so the next start, or
 * {@code isthmus local down}, kills what a crashed run left behind.
 */
public final class LoopbackNetwork implements FederationNetwork {
    /** The JVM flag every child of a loopback federation carries (how stale children are found). */
    public static final String MARKER = "-Disthmus.local.network=loopback";
    private static final Logger LOG = LoggerFactory.getLogger(LoopbackNetwork.class);
    /** Ports that must be free on the fixed addresses: API server, xDS, monitoring, gateway passthrough. */
    private static final List<Integer> FIXED_PORTS = List.of(6443, 15012, 15014, 15443);

    private final LoopbackPlan plan;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private LoopbackNetwork(LoopbackPlan plan, FileChannel lockChannel, FileLock lock) {
        this.plan = plan;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * The lock file of this user's loopback federations ({@code $TMPDIR/isthmus-local-loopback-<user>.lock}:
     * one per user, so a file another user made cannot block this one; two users' runs on one
     * machine would want the same addresses, which the start-up check of free ports refuses by name).
     */
    public static Path lockFile() {
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "isthmus-local-loopback-" + user + ".lock");
    }

    /**
     * Takes the lock, kills the children of a crashed earlier run, and checks that this machine
     * routes all of {@code 127.0.0.0/8} to loopback and that the fixed addresses are free.
     */
    public static LoopbackNetwork open(LoopbackPlan plan) {
        FileChannel ch;
        FileLock l;
        try {
            ch = FileChannel.open(lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            l = ch.tryLock();
        } catch (IOException | OverlappingFileLockException e) {
            throw new NetException("cannot take " + lockFile() + ": " + e.getMessage(), e);
        }
        if (l == null) {
            throw new NetException("another loopback federation is running on this machine (it holds " + lockFile()
                    + "); stop it first (isthmus local down)");
        }
        LoopbackNetwork n = new LoopbackNetwork(plan, ch, l);
        try {
            killStale();
            for (String a : plan.fixedAddresses()) {
                requireFree(a);
            }
        } catch (RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    /** Kills stale children if no loopback federation runs (the lock is free); false when one runs. */
    public static boolean cleanStaleIfIdle() {
        try (FileChannel ch = FileChannel.open(lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock l = ch.tryLock()) {
            if (l == null) {
                return false;
            }
            killStale();
            return true;
        } catch (IOException | OverlappingFileLockException e) {
            throw new NetException("cannot take " + lockFile() + ": " + e.getMessage(), e);
        }
    }

    /** Kills every process (of those this user may see) whose command line carries {@link #MARKER}; returns how many. */
    public static int killStale() {
        long self = ProcessHandle.current().pid();
        int[] n = {0};
        ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self)
                .filter(LoopbackNetwork::carriesMarker)
                .forEach(p -> {
                    LOG.info("killing a process of an earlier loopback federation [pid={}] {}", p.pid(),
                            p.info().command().orElse("?"));
                    p.destroyForcibly();
                    n[0]++;
                });
        return n[0];
    }

    /**
     * Whether a process's command line holds {@link #MARKER} as one argument: from
     * {@code /proc/<pid>/cmdline} (the JDK's own view stops at 4 KiB, and a child's classpath is longer).
     */
    private static boolean carriesMarker(ProcessHandle p) {
        try {
            byte[] raw = java.nio.file.Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
            for (String arg : new String(raw, java.nio.charset.StandardCharsets.UTF_8).split("\0")) {
                if (arg.equals(MARKER)) {
                    return true;
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return p.info().commandLine().map(c -> c.contains(MARKER)).orElse(false);
        }
    }

    private static void requireFree(String address) {
        if (!LoopbackPlan.isLoopback(address)) {
            throw new NetException("refusing " + address + ": not a loopback address");
        }
        for (int port : FIXED_PORTS) {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName(address), port));
            } catch (IOException e) {
                throw new NetException("cannot bind " + address + ":" + port + " (" + e.getMessage() + "): this system must route"
                        + " all of 127.0.0.0/8 to loopback (Linux does) and nothing else may listen there"
                        + " (a federation still running? isthmus local down)", e);
            }
        }
    }

    @Override
    public NetworkMode mode() {
        return NetworkMode.LOOPBACK;
    }

    @Override
    public String nodeAddress(String cluster) {
        return plan.nodeAddress(cluster);
    }

    @Override
    public String gatewayPublicAddress(String network) {
        return plan.gatewayAddress(network);
    }

    @Override
    public PodNetwork addPod(String cluster, String network, String podName) {
        LoopbackPlan.PodAddresses a = plan.nextPod(cluster);
        a.all().forEach(LoopbackNetwork::requireLoopback);
        LOG.info("pod addresses [{}/{}] ip={} app={} outbound={} (loopback, not isolated)", cluster, podName, a.podIp(),
                a.app(), a.outbound());
        return new PodNetwork("", a.podIp(), List.of(a.podIp()), a.app(), a.outbound());
    }

    @Override
    public PodNetwork addGateway(String network) {
        String gw = plan.gatewayAddress(network);
        requireLoopback(gw);
        return new PodNetwork("", gw, List.of(gw, gw), gw, gw);
    }

    private static void requireLoopback(String a) {
        if (!LoopbackPlan.isLoopback(a)) {
            throw new NetException("refusing " + a + ": not a loopback address");
        }
    }

    @Override
    public void remove(PodNetwork pod) {
        LOG.debug("pod addresses released [{}] (not reused in this run)", pod.address());
    }

    @Override
    public String describe() {
        return "LOOPBACK mode, NO network namespaces: clusters on 127.N.0.0/16, east-west gateways on "
                + LoopbackPlan.PUBLIC_SUBNET + "; networks are NOT isolated";
    }

    /** The plan. */
    public LoopbackPlan plan() {
        return plan;
    }

    @Override
    public void close() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.debug("lock release: {}", e.getMessage());
        }
    }
}
