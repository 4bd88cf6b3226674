package io.isthmus.e2e.local;

import io.fabric8.kubernetes.api.model.Service;
import io.isthmus.e2e.net.Ip;
import io.isthmus.e2e.net.NetworkSandbox;
import io.isthmus.e2e.net.PodNetwork;
import io.isthmus.e2e.topology.CaptureMode;
import io.isthmus.e2e.topology.ServiceSpec;
import io.isthmus.mesh.MeshLabels;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The set-up of a pod in transparent capture (topology {@code capture: TPROXY} or {@code REDIRECT}),
 * as Istio's injector and init container make it: the service range routed out of the pod's
 * {@code eth0} (a real pod's default route), {@code isthmus iptables --mode <mode> --proxy-gid 1337}
 * run in its namespace (the init container's step), its hosts file mapping every service hostname
 * to a ClusterIP (cluster DNS: the app connects to ClusterIPs, which the rules capture), and its
 * sidecar in a JVM of its own in group 1337, which the rules leave uncaptured, with
 * {@code INTERCEPTION_MODE: <mode>} in its bootstrap and no DNS proxy. The app runs in another JVM,
 * as root in the pod's namespace. The sidecar keeps uid 0 (CAP_NET_ADMIN for TPROXY's transparent
 * sockets; REDIRECT needs none).
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
     * Routes the service range, writes the hosts file and runs {@code isthmus iptables} in the pod's
     * namespace; throws naming the pod and the log when a step fails.
     */
    static void prepare(LocalFederation federation, PodNetwork net, CaptureMode mode, String podCluster, String podNamespace,
                        String logName, Path logDir) {
        if (!net.isolated()) {
            throw new IllegalStateException("pod " + logName + ": capture " + mode + " needs network namespaces (root, ip netns);"
                    + " loopback mode cannot capture");
        }
        if (!mode.transparent()) {
            throw new IllegalArgumentException("pod " + logName + ": capture " + mode + " is not transparent capture");
        }
        Ip.ip("-n", net.netns(), "route", "add", SERVICE_RANGE, "dev", "eth0");
        NetworkSandbox.writeHosts(net.netns(), hostLines(federation, podCluster, podNamespace));
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

    /**
     * The hosts file's lines: each service's names ({@code <svc>.<ns>.svc.cluster.local},
     * {@code <svc>.<ns>.svc}, {@code <svc>.<ns>}, and {@code <svc>} in the pod's own namespace) to
     * its ClusterIP in the pod's cluster, or, for a service without a Service object there, in the
     * first cluster that has one (the address only has to be captured: the sidecar routes by Host).
     */
    static List<String> hostLines(LocalFederation federation, String podCluster, String podNamespace) {
        List<String> out = new ArrayList<>();
        for (ServiceSpec s : federation.topology().services()) {
            Optional<String> ip = clusterIp(federation, podCluster, s);
            if (ip.isEmpty()) {
                continue;
            }
            StringBuilder b = new StringBuilder(ip.get()).append(' ').append(MeshLabels.serviceHostname(s.name(), s.namespace()))
                    .append(' ').append(s.name()).append('.').append(s.namespace()).append(".svc")
                    .append(' ').append(s.name()).append('.').append(s.namespace());
            if (s.namespace().equals(podNamespace)) {
                b.append(' ').append(s.name());
            }
            out.add(b.toString());
        }
        return out;
    }

    /** A service's ClusterIP, from the pod's cluster's API server first. */
    static Optional<String> clusterIp(LocalFederation federation, String podCluster, ServiceSpec s) {
        List<SimulatedCluster> order = new ArrayList<>(federation.clusters());
        order.sort((a, b) -> Boolean.compare(!a.name().equals(podCluster), !b.name().equals(podCluster)));
        for (SimulatedCluster c : order) {
            Service svc = c.client().services().inNamespace(s.namespace()).withName(s.name()).get();
            if (svc != null && svc.getSpec() != null && svc.getSpec().getClusterIP() != null
                    && !svc.getSpec().getClusterIP().isBlank() && !"None".equals(svc.getSpec().getClusterIP())) {
                return Optional.of(svc.getSpec().getClusterIP());
            }
        }
        return Optional.empty();
    }
}
