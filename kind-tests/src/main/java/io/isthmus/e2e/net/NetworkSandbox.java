package io.isthmus.e2e.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The local federation's network inside the (already isolated) outer namespace: bridges per
 * cluster network and for the public network, one namespace and veth per pod, and their removal.
 * One sandbox runs on a machine at a time (a lock file); at open it removes every
 * {@code isthmus-*} namespace of an earlier run, killing what still runs inside.
 */
public final class NetworkSandbox implements FederationNetwork {
    /** Prefix of every namespace the local federation makes. */
    public static final String PREFIX = "isthmus-";
    private static final Logger LOG = LoggerFactory.getLogger(NetworkSandbox.class);
    private static final Path LOCK = Path.of("/run/isthmus-local.lock");

    private final AddressPlan plan;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final List<PodNetwork> made = new CopyOnWriteArrayList<>();
    private final AtomicInteger vethCounter = new AtomicInteger();
    private final List<String> extraBridges = new CopyOnWriteArrayList<>();

    private NetworkSandbox(AddressPlan plan, FileChannel lockChannel, FileLock lock) {
        this.plan = plan;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Checks isolation, takes the machine-wide lock, cleans stale namespaces, creates the
     * bridges and turns on forwarding in the outer namespace (between our bridges only: there is
     * no other interface).
     */
    public static NetworkSandbox open(AddressPlan plan) {
        return open(plan, java.time.Duration.ZERO);
    }

    /**
     * As {@link #open(AddressPlan)}, waiting up to {@code lockWait} for another local federation on
     * this machine to release the lock (zero: fail at once).
     */
    public static NetworkSandbox open(AddressPlan plan, java.time.Duration lockWait) {
        Isolation.requireIsolatedOuterNamespace();
        FileChannel ch;
        FileLock lock;
        long deadline = System.nanoTime() + lockWait.toNanos();
        try {
            ch = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = ch.tryLock();
            if (lock == null && !lockWait.isZero()) {
                LOG.info("waiting for another local federation to end [{}] at most {}s", LOCK, lockWait.toSeconds());
            }
            while (lock == null && System.nanoTime() < deadline) {
                Thread.sleep(1000);
                lock = ch.tryLock();
            }
        } catch (IOException | OverlappingFileLockException e) {
            throw new NetException("cannot take " + LOCK + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetException("interrupted while waiting for " + LOCK, e);
        }
        if (lock == null) {
            try {
                ch.close();
            } catch (IOException e) {
                // the lock was never ours
            }
            throw new NetException("another local federation is running on this machine (it holds " + LOCK
                    + (lockWait.isZero() ? "" : ", waited " + lockWait.toSeconds() + "s") + "); stop it first (isthmus local down)");
        }
        NetworkSandbox sb = new NetworkSandbox(plan, ch, lock);
        try {
            cleanStale();
            sb.createBridges();
        } catch (RuntimeException e) {
            sb.close();
            throw e;
        }
        return sb;
    }

    /**
     * Removes stale namespaces if no local federation runs (the lock is free); false when one
     * runs, in which case nothing is touched.
     */
    public static boolean cleanStaleIfIdle() {
        try (FileChannel ch = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock l = ch.tryLock()) {
            if (l == null) {
                return false;
            }
            cleanStale();
            return true;
        } catch (IOException | OverlappingFileLockException e) {
            throw new NetException("cannot take " + LOCK + ": " + e.getMessage(), e);
        }
    }

    /** Removes every {@code isthmus-*} namespace except the one this process runs in (call with the lock held). */
    public static void cleanStale() {
        String own = System.getenv(Isolation.OUTER_NETNS_ENV);
        for (String ns : listNamespaces()) {
            if (!ns.startsWith(PREFIX) || ns.equals(own) || liveTestNamespace(ns)) {
                continue;
            }
            removeNamespace(ns);
            LOG.info("removed stale namespace [{}]", ns);
        }
    }

    /** An outer namespace {@code isthmus-e2e-<pid>} whose wrapper still runs belongs to a live test run. */
    private static boolean liveTestNamespace(String ns) {
        if (!ns.startsWith(PREFIX + "e2e-")) {
            return false;
        }
        try {
            return ProcessHandle.of(Long.parseLong(ns.substring((PREFIX + "e2e-").length()))).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static List<String> listNamespaces() {
        List<String> out = new ArrayList<>();
        for (String line : Ip.ip("netns", "list").split("\n")) {
            String name = line.trim().replaceFirst("\\s.*", "");
            if (!name.isEmpty()) {
                out.add(name);
            }
        }
        return out;
    }

    private static void removeNamespace(String ns) {
        try {
            for (String pid : Ip.ip("netns", "pids", ns).trim().split("\\s+")) {
                if (!pid.isBlank()) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        } catch (NetException | NumberFormatException e) {
            LOG.debug("cannot list processes of [{}]: {}", ns, e.getMessage());
        }
        Ip.ipQuietly("netns", "del", ns);
        deleteTree(Path.of("/etc/netns", ns));
    }

    private void createBridges() {
        Ip.run(List.of("sysctl", "-q", "-w", "net.ipv4.ip_forward=1"));
        Ip.ip("link", "set", "lo", "up");
        bridge(AddressPlan.PUBLIC_BRIDGE, List.of(AddressPlan.PUBLIC_ROUTER + "/24"));
        for (AddressPlan.NetworkAddresses na : plan.networks()) {
            List<String> addrs = new ArrayList<>();
            addrs.add(na.router() + "/16");
            for (int k = 2; k <= 9; k++) {
                addrs.add("10." + na.index() + ".0." + k + "/16");
            }
            bridge(na.bridge(), addrs);
        }
    }

    private static void bridge(String name, List<String> addresses) {
        Ip.ipQuietly("link", "del", name);
        Ip.ip("link", "add", name, "type", "bridge");
        // A bridge not given a MAC takes the lowest of its ports': each pod that came or went could change the
        // router's MAC, and the other pods would send to the old one until their ARP entry was probed again,
        // seconds of lost packets (TCP retransmitting with backoff) for every call that leaves the pod's network.
        Ip.ip("link", "set", name, "address", bridgeMac(name));
        for (String a : addresses) {
            Ip.ip("addr", "add", a, "dev", name);
        }
        Ip.ip("link", "set", name, "up");
    }

    /**
     * The fixed MAC of a bridge: locally administered and unicast ({@code 02:} first), the rest from a hash of its
     * name, so each bridge of a sandbox has its own and keeps it for its lifetime.
     */
    static String bridgeMac(String name) {
        byte[] h;
        try {
            h = java.security.MessageDigest.getInstance("SHA-256").digest(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return String.format("02:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4]);
    }

    @Override
    public NetworkMode mode() {
        return NetworkMode.NETNS;
    }

    @Override
    public String nodeAddress(String cluster) {
        return plan.nodeAddress(cluster);
    }

    @Override
    public String gatewayPublicAddress(String network) {
        return plan.network(network).gatewayPublicAddress();
    }

    @Override
    public String describe() {
        return "network namespaces: bridges " + plan.networks().stream().map(n -> n.bridge() + "=" + n.subnet()).toList()
                + " + public " + AddressPlan.PUBLIC_SUBNET;
    }

    /**
     * A namespace and veth for a pod of {@code cluster} on {@code network}: address from the
     * plan, {@code lo} up, routes to its own network and to the public network only, and a
     * {@code resolv.conf} that sends DNS to the pod's own {@code 127.0.0.1} (the sidecar).
     */
    @Override
    public PodNetwork addPod(String cluster, String network, String podName) {
        AddressPlan.NetworkAddresses na = plan.network(network);
        String ip = plan.nextPodAddress(cluster, network);
        String ns = PREFIX + cluster + "-" + podName;
        if (ns.length() > 200) {
            throw new NetException("namespace name too long: " + ns);
        }
        Ip.ipQuietly("netns", "del", ns);
        Ip.ip("netns", "add", ns);
        PodNetwork pn = new PodNetwork(ns, ip, List.of(ip));
        made.add(pn);
        String veth = "iv" + vethCounter.incrementAndGet();
        Ip.ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
        Ip.ip("link", "set", veth, "master", na.bridge(), "up");
        Ip.ip("-n", ns, "link", "set", "lo", "up");
        Ip.ip("-n", ns, "addr", "add", ip + "/16", "dev", "eth0");
        Ip.ip("-n", ns, "link", "set", "eth0", "up");
        Ip.ip("-n", ns, "route", "add", AddressPlan.PUBLIC_SUBNET, "via", na.router());
        writeResolvConf(ns);
        Isolation.requireRouteIsOurs(ns, na.router());
        Isolation.requireRouteIsOurs("", ip);
        LOG.info("pod network ready [{}/{}] ns={} ip={}", cluster, podName, ns, ip);
        return pn;
    }

    /**
     * A namespace for the east-west gateway of {@code network}: eth0 on the network, eth1 on the
     * public network, and routes to the other networks through the outer namespace (replies to
     * callers from other networks).
     */
    @Override
    public PodNetwork addGateway(String network) {
        AddressPlan.NetworkAddresses na = plan.network(network);
        String ns = PREFIX + "gw-" + network;
        Ip.ipQuietly("netns", "del", ns);
        Ip.ip("netns", "add", ns);
        PodNetwork pn = new PodNetwork(ns, na.gatewayAddress(), List.of(na.gatewayAddress(), na.gatewayPublicAddress()));
        made.add(pn);
        String a = "ig" + na.index() + "a";
        String p = "ig" + na.index() + "p";
        Ip.ip("link", "add", a, "type", "veth", "peer", "name", "eth0", "netns", ns);
        Ip.ip("link", "set", a, "master", na.bridge(), "up");
        Ip.ip("link", "add", p, "type", "veth", "peer", "name", "eth1", "netns", ns);
        Ip.ip("link", "set", p, "master", AddressPlan.PUBLIC_BRIDGE, "up");
        Ip.ip("-n", ns, "link", "set", "lo", "up");
        Ip.ip("-n", ns, "addr", "add", na.gatewayAddress() + "/16", "dev", "eth0");
        Ip.ip("-n", ns, "addr", "add", na.gatewayPublicAddress() + "/24", "dev", "eth1");
        Ip.ip("-n", ns, "link", "set", "eth0", "up");
        Ip.ip("-n", ns, "link", "set", "eth1", "up");
        for (AddressPlan.NetworkAddresses other : plan.networks()) {
            if (other.index() != na.index()) {
                Ip.ip("-n", ns, "route", "add", other.subnet(), "via", AddressPlan.PUBLIC_ROUTER);
            }
        }
        writeResolvConf(ns);
        Isolation.requireRouteIsOurs("", na.gatewayPublicAddress());
        LOG.info("gateway network ready [{}] ns={} ip={} public={}", network, ns, na.gatewayAddress(), na.gatewayPublicAddress());
        return pn;
    }

    /**
     * Creates a bridge outside the mesh networks ({@link AddressPlan#OUTSIDE_BRIDGE},
     * {@link AddressPlan#EXTERNAL_BRIDGE}) with the outer namespace's address on it, so the test
     * driver reaches what sits there; namespaces on it get no route through it.
     */
    public void addEdgeBridge(String name, String routerCidr) {
        bridge(name, List.of(routerCidr));
        extraBridges.add(name);
        LOG.info("edge bridge ready [{}] {}", name, routerCidr);
    }

    /**
     * Gives an existing pod namespace a second leg ({@code eth1}) on {@code bridge} with
     * {@code address/prefix}; only that subnet becomes reachable through it.
     */
    public PodNetwork addLeg(PodNetwork pod, String bridge, String address, int prefix) {
        String veth = "iv" + vethCounter.incrementAndGet();
        Ip.ip("link", "add", veth, "type", "veth", "peer", "name", "eth1", "netns", pod.netns());
        Ip.ip("link", "set", veth, "master", bridge, "up");
        Ip.ip("-n", pod.netns(), "addr", "add", address + "/" + prefix, "dev", "eth1");
        Ip.ip("-n", pod.netns(), "link", "set", "eth1", "up");
        Isolation.requireRouteIsOurs(pod.netns(), address);
        List<String> addrs = new ArrayList<>(pod.addresses());
        addrs.add(address);
        PodNetwork now = new PodNetwork(pod.netns(), pod.address(), addrs);
        made.replaceAll(p -> p.netns().equals(pod.netns()) ? now : p);
        LOG.info("second leg ready [{}] {} on {}", pod.netns(), address, bridge);
        return now;
    }

    /**
     * A namespace outside the mesh ({@code isthmus-<name>}) with one leg on {@code bridge} at
     * {@code address/prefix} and no route beyond that subnet: the external client, an external service.
     */
    public PodNetwork addHost(String name, String bridge, String address, int prefix) {
        String ns = PREFIX + name;
        Ip.ipQuietly("netns", "del", ns);
        Ip.ip("netns", "add", ns);
        PodNetwork pn = new PodNetwork(ns, address, List.of(address));
        made.add(pn);
        String veth = "iv" + vethCounter.incrementAndGet();
        Ip.ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
        Ip.ip("link", "set", veth, "master", bridge, "up");
        Ip.ip("-n", ns, "link", "set", "lo", "up");
        Ip.ip("-n", ns, "addr", "add", address + "/" + prefix, "dev", "eth0");
        Ip.ip("-n", ns, "link", "set", "eth0", "up");
        writeResolvConf(ns);
        Isolation.requireRouteIsOurs("", address);
        LOG.info("outside host ready [{}] ns={} ip={} on {}", name, ns, address, bridge);
        return pn;
    }

    /**
     * Writes {@code /etc/netns/<ns>/hosts} ({@code ip netns exec} bind-mounts it over
     * {@code /etc/hosts} for what it starts): localhost plus {@code address name...} lines.
     */
    public static void writeHosts(String ns, List<String> lines) {
        try {
            Path dir = Files.createDirectories(Path.of("/etc/netns", ns));
            StringBuilder b = new StringBuilder("127.0.0.1 localhost\n");
            lines.forEach(l -> b.append(l).append('\n'));
            Files.writeString(dir.resolve("hosts"), b.toString());
        } catch (IOException e) {
            throw new NetException("cannot write /etc/netns/" + ns + "/hosts: " + e.getMessage(), e);
        }
    }

    private static void writeResolvConf(String ns) {
        try {
            Path dir = Files.createDirectories(Path.of("/etc/netns", ns));
            Files.writeString(dir.resolve("resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:2\n");
        } catch (IOException e) {
            throw new NetException("cannot write /etc/netns/" + ns + "/resolv.conf: " + e.getMessage(), e);
        }
    }

    /** Removes one pod's namespace (and with it its veth). */
    @Override
    public void remove(PodNetwork pod) {
        made.remove(pod);
        removeNamespace(pod.netns());
    }

    /** The address plan. */
    public AddressPlan plan() {
        return plan;
    }

    /** Removes every namespace and bridge this sandbox made and releases the lock. */
    @Override
    public void close() {
        for (PodNetwork pn : made) {
            removeNamespace(pn.netns());
        }
        made.clear();
        Ip.ipQuietly("link", "del", AddressPlan.PUBLIC_BRIDGE);
        extraBridges.forEach(b -> Ip.ipQuietly("link", "del", b));
        extraBridges.clear();
        for (AddressPlan.NetworkAddresses na : plan.networks()) {
            Ip.ipQuietly("link", "del", na.bridge());
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.debug("lock release: {}", e.getMessage());
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", dir, e.getMessage());
        }
    }
}
