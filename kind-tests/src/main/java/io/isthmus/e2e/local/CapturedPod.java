package io.isthmus.e2e.local;

import io.isthmus.e2e.net.Ip;
import io.isthmus.e2e.net.NetworkSandbox;
import io.isthmus.e2e.net.PodNetwork;
import io.isthmus.e2e.topology.CaptureMode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The set-up of a pod in transparent capture (topology {@code capture: TPROXY} or {@code REDIRECT}),
 * as Istio's injector and init container make it: the service range routed out of the pod's
 * {@code eth0} (a real pod's default route), {@code isthmus iptables --mode <mode> --proxy-gid 1337}
 * run in its namespace (the init container's step), and its sidecar in a JVM of its own in group
 * 1337, which the rules leave uncaptured, with {@code INTERCEPTION_MODE: <mode>} in its bootstrap and
 * its DNS proxy on {@code 127.0.0.1:53}, which answers mesh names with their ClusterIPs in the pod's
 * cluster (the VIPs the controller sends; Istio's DNS proxying in capture): the app connects to
 * ClusterIPs, which the rules capture. The hosts file holds only {@code localhost}. The app runs in
 * another JVM, as root in the pod's namespace. The sidecar keeps uid 0 (CAP_NET_ADMIN for TPROXY's
 * transparent sockets, and the DNS port; REDIRECT needs none).
 */
final class CapturedPod {
    /** The sidecar's group (Istio's convention); {@code isthmus iptables} never captures its traffic. */
    static final int PROXY_GID = 1337;
    /** The Services' ClusterIP range ({@code 10.96.<cluster>.<n>}). */
    static final String SERVICE_RANGE = "10.96.0.0/12";
    /** {@code isthmus iptables}. */
    static final String IPTABLES_MAIN = "io.isthmus.sidecar.cli.IptablesCommand";
    /** {@code isthmus proxy}. */
    static final String PROXY_MAIN = "io.isthmus.sidecar.cli.ProxyCommand";
    /** The demo app's control port stays reachable from the driver without the mesh (Istio's excludeInboundPorts). */
    static final int CONTROL_PORT = 15080;

    private CapturedPod() {
    }

    /**
     * Routes the service range, writes a hosts file without service names (they resolve through the
     * sidecar's DNS proxy) and runs {@code isthmus iptables} in the pod's namespace; throws naming the
     * pod and the log when a step fails.
     */
    static void prepare(PodNetwork net, CaptureMode mode, String logName, Path logDir) {
        if (!net.isolated()) {
            throw new IllegalStateException("pod " + logName + ": capture " + mode + " needs network namespaces (root, ip netns);"
                    + " loopback mode cannot capture");
        }
        if (!mode.transparent()) {
            throw new IllegalArgumentException("pod " + logName + ": capture " + mode + " is not transparent capture");
        }
        Ip.ip("-n", net.netns(), "route", "add", SERVICE_RANGE, "dev", "eth0");
        NetworkSandbox.writeHosts(net.netns(), List.of());
        List<String> flags = iptablesFlags(mode);
        int rc = ChildProcess.runJava(logName + "-iptables", net.execPrefix(), IPTABLES_MAIN, flags, logDir, Duration.ofSeconds(60));
        if (rc != 0) {
            throw new IllegalStateException("pod " + logName + ": isthmus iptables " + String.join(" ", flags) + " failed (exit " + rc
                    + "); log " + logDir.resolve(logName + "-iptables.log"));
        }
    }

    /**
     * The flags of {@code isthmus iptables}: the mode, every destination captured, the sidecar's
     * group and the control port excluded.
     */
    static List<String> iptablesFlags(CaptureMode mode) {
        return List.of("--mode", mode.name(), "--proxy-gid", Integer.toString(PROXY_GID),
                "--exclude-inbound-ports", Integer.toString(CONTROL_PORT));
    }

    /** What the sidecar's JVM runs after: the pod's namespace, then {@code setpriv} into group {@link #PROXY_GID}. */
    static List<String> proxyPrefix(PodNetwork net) {
        List<String> p = new ArrayList<>(net.execPrefix());
        p.addAll(List.of("setpriv", "--regid=" + PROXY_GID, "--clear-groups"));
        return p;
    }
}
