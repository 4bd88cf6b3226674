package io.isthmus.e2e.local;

import io.isthmus.e2e.net.Ip;
import io.isthmus.e2e.net.Isolation;
import io.isthmus.e2e.net.NetException;
import io.isthmus.e2e.net.NetworkSandbox;
import io.isthmus.e2e.net.PodNetwork;
import io.isthmus.e2e.topology.CaptureMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The set-up of a pod in transparent capture (topology {@code capture: TPROXY} or {@code REDIRECT}),
 * as Istio's injector and init container make it: the service range routed out of the pod's
 * {@code eth0} (a real pod's default route), {@code isthmus iptables --mode <mode> --proxy-gid 1337}
 * run in its namespace (the init container's step), and its sidecar in a JVM of its own in group
 * 1337, which the rules leave uncaptured, with {@code INTERCEPTION_MODE: <mode>} in its bootstrap;
 * its DNS proxy answers mesh names with their ClusterIPs in the pod's cluster (the VIPs the
 * controller sends; Istio's DNS proxying in capture): the app connects to ClusterIPs, which the
 * rules capture. The hosts file holds only {@code localhost}. The app runs in another JVM, as root
 * in the pod's namespace. The two modes reach the DNS proxy in two ways, so that both stay covered:
 * <ul>
 *   <li>{@code REDIRECT} is the Kubernetes pod with DNS capture (Istio's {@code ISTIO_META_DNS_CAPTURE}):
 *   its {@code resolv.conf} is the kubelet's {@code ClusterFirst} one, naming the cluster DNS
 *   {@link #CLUSTER_DNS} inside the service range, which nothing serves;
 *   {@code isthmus iptables --redirect-dns} sends the app's UDP queries to port 53 (any address) to
 *   the DNS proxy on {@code 127.0.0.1:15053}, which has no upstream ({@code --dns-upstream none}:
 *   there is no cluster DNS here, other names are NXDOMAIN at once). The sidecar runs as user and
 *   group 1337 without any capability, as on kind: REDIRECT and a DNS port above 1024 need no
 *   privilege (its classpath is the runner's world-readable copy, {@link ChildProcess#snapshotClasspath}).</li>
 *   <li>{@code TPROXY} is the pod whose nameserver is its sidecar: {@code resolv.conf} says
 *   {@code nameserver 127.0.0.1}, where the DNS proxy listens on port 53, and no DNS is captured.
 *   Its sidecar keeps uid 0 (in group 1337): CAP_NET_ADMIN for TPROXY's transparent sockets, and
 *   the DNS port.</li>
 * </ul>
 */
final class CapturedPod {
    /** The sidecar's group (Istio's convention); {@code isthmus iptables} never captures its traffic. */
    static final int PROXY_GID = 1337;
    /** The sidecar's user in REDIRECT (Istio's convention; the TPROXY sidecar keeps uid 0). */
    static final int PROXY_UID = 1337;
    /** The Services' ClusterIP range ({@code 10.96.<cluster>.<n>}, clusters numbered from 1). */
    static final String SERVICE_RANGE = "10.96.0.0/12";
    /**
     * The cluster DNS a REDIRECT pod's {@code resolv.conf} names (kube-dns's usual ClusterIP): in
     * the service range, routed out of {@code eth0} onto the cluster's bridge, where no namespace has
     * it, so only DNS capture answers it.
     */
    static final String CLUSTER_DNS = "10.96.0.10";
    /** Where the DNS proxy of a pod with DNS capture listens ({@code isthmus iptables --redirect-dns}'s default). */
    static final String DNS_CAPTURE_ADDRESS = "127.0.0.1:15053";
    /** Where the DNS proxy of a pod whose nameserver is its sidecar listens. */
    static final String DNS_ADDRESS = "127.0.0.1:53";
    /** {@code isthmus proxy --dns-upstream none}: the federation's pods have no cluster DNS to forward other names to. */
    static final String NO_UPSTREAM = "none";
    /** {@code isthmus iptables}. */
    static final String IPTABLES_MAIN = "io.isthmus.sidecar.cli.IptablesCommand";
    /** {@code isthmus proxy}. */
    static final String PROXY_MAIN = "io.isthmus.sidecar.cli.ProxyCommand";
    /** The demo app's control port stays reachable from the driver without the mesh (Istio's excludeInboundPorts). */
    static final int CONTROL_PORT = 15080;

    private CapturedPod() {
    }

    /** Whether a pod in {@code mode} has DNS capture (REDIRECT) rather than its sidecar as nameserver (TPROXY). */
    static boolean capturesDns(CaptureMode mode) {
        return mode == CaptureMode.REDIRECT;
    }

    /**
     * Routes the service range, writes a hosts file without service names (they resolve through the
     * sidecar's DNS proxy) and the mode's {@code resolv.conf} ({@link #resolvConf}), and runs
     * {@code isthmus iptables} in the pod's namespace; throws naming the pod and the log when a step fails.
     *
     * @param namespace the pod's Kubernetes namespace (its {@code resolv.conf} search list)
     */
    static void prepare(PodNetwork net, CaptureMode mode, String namespace, String logName, Path logDir) {
        if (!net.isolated()) {
            throw new IllegalStateException("pod " + logName + ": capture " + mode + " needs network namespaces (root, ip netns);"
                    + " loopback mode cannot capture");
        }
        if (!mode.transparent()) {
            throw new IllegalArgumentException("pod " + logName + ": capture " + mode + " is not transparent capture");
        }
        Ip.ip("-n", net.netns(), "route", "add", SERVICE_RANGE, "dev", "eth0");
        NetworkSandbox.writeHosts(net.netns(), List.of());
        if (capturesDns(mode)) {
            // an uncaptured query would go out of eth0 onto the cluster's bridge and find no one
            Isolation.requireRouteIsOurs(net.netns(), CLUSTER_DNS);
        }
        writeResolvConf(net.netns(), resolvConf(mode, namespace));
        List<String> flags = iptablesFlags(mode);
        int rc = ChildProcess.runJava(logName + "-iptables", net.execPrefix(), IPTABLES_MAIN, flags, logDir, Duration.ofSeconds(60));
        if (rc != 0) {
            throw new IllegalStateException("pod " + logName + ": isthmus iptables " + String.join(" ", flags) + " failed (exit " + rc
                    + "); log " + logDir.resolve(logName + "-iptables.log"));
        }
    }

    /**
     * The pod's {@code resolv.conf}: with DNS capture the kubelet's {@code ClusterFirst} file (the
     * namespace's search list, {@link #CLUSTER_DNS}, {@code ndots:5}); otherwise its sidecar on
     * {@code 127.0.0.1}, as the network sandbox writes it for every pod.
     */
    static String resolvConf(CaptureMode mode, String namespace) {
        if (!capturesDns(mode)) {
            return "nameserver 127.0.0.1\noptions timeout:1 attempts:2\n";
        }
        return "search " + namespace + ".svc.cluster.local svc.cluster.local cluster.local\n"
                + "nameserver " + CLUSTER_DNS + "\n"
                + "options ndots:5 timeout:1 attempts:2\n";
    }

    private static void writeResolvConf(String netns, String text) {
        try {
            Path dir = Files.createDirectories(Path.of("/etc/netns", netns));
            Files.writeString(dir.resolve("resolv.conf"), text);
        } catch (IOException e) {
            throw new NetException("cannot write /etc/netns/" + netns + "/resolv.conf: " + e.getMessage(), e);
        }
    }

    /**
     * The flags of {@code isthmus iptables}: the mode, every destination captured, the sidecar's
     * group and the control port excluded; in REDIRECT also the app's DNS queries ({@code --redirect-dns}).
     */
    static List<String> iptablesFlags(CaptureMode mode) {
        List<String> flags = new ArrayList<>(List.of("--mode", mode.name(), "--proxy-gid", Integer.toString(PROXY_GID),
                "--exclude-inbound-ports", Integer.toString(CONTROL_PORT)));
        if (capturesDns(mode)) {
            flags.add("--redirect-dns");
        }
        return List.copyOf(flags);
    }

    /**
     * The sidecar's DNS flags: with DNS capture {@code --dns-address 127.0.0.1:15053}, otherwise
     * {@code --dns-address 127.0.0.1:53}; {@code --dns-upstream none} in both, as the federation has no cluster DNS.
     */
    static List<String> dnsFlags(CaptureMode mode) {
        return List.of("--dns-address", capturesDns(mode) ? DNS_CAPTURE_ADDRESS : DNS_ADDRESS, "--dns-upstream", NO_UPSTREAM);
    }

    /**
     * What the sidecar's JVM runs after: the pod's namespace, then {@code setpriv} into group
     * {@link #PROXY_GID}; in REDIRECT also into user {@link #PROXY_UID} with no capability left.
     */
    static List<String> proxyPrefix(PodNetwork net, CaptureMode mode) {
        List<String> p = new ArrayList<>(net.execPrefix());
        p.add("setpriv");
        if (mode == CaptureMode.REDIRECT) {
            p.addAll(List.of("--reuid=" + PROXY_UID, "--regid=" + PROXY_GID, "--clear-groups", "--inh-caps=-all",
                    "--bounding-set=-all"));
        } else {
            p.addAll(List.of("--regid=" + PROXY_GID, "--clear-groups"));
        }
        return p;
    }
}
