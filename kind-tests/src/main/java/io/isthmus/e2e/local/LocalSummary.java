package io.isthmus.e2e.local;

import io.isthmus.e2e.demo.ControlServer;
import io.isthmus.e2e.net.NetworkMode;
import io.isthmus.e2e.topology.PortSpec;
import io.isthmus.e2e.topology.ServiceSpec;
import io.isthmus.e2e.topology.Topology;
import io.isthmus.mesh.WellKnownPorts;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code isthmus local up} prints once the federation is up: every cluster, pod and gateway,
 * then commands to try, written with this federation's own names, addresses and pids so that each
 * can be pasted as it is.
 */
final class LocalSummary {
    private LocalSummary() {
    }

    /** One pod of the service the scene kills: its name, network namespace (empty in loopback mode), address and pid. */
    record TargetPod(String name, String netns, String address, long pid) {
        TargetPod {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(netns, "netns");
            Objects.requireNonNull(address, "address");
        }
    }

    /**
     * The scene the commands to try walk through.
     *
     * @param mode          the federation's network mode
     * @param clientCluster the calling pod's cluster
     * @param clientPod     the calling pod's name
     * @param clientNetns   the calling pod's namespace (empty in loopback mode)
     * @param clientAddress the calling pod's IP
     * @param target        the called service's {@code host:port} (HTTP), with pods in the client's cluster
     * @param targetPods    those pods
     * @param crossNetwork  a service's {@code host:port} served only on other networks, and where ({@code details} in west)
     * @param grpcTarget    the first gRPC service port's {@code host:port}
     * @param controller    the client's controller's monitoring {@code host:port}
     */
    record Scene(NetworkMode mode, String clientCluster, String clientPod, String clientNetns, String clientAddress, String target,
                 List<TargetPod> targetPods, Optional<String[]> crossNetwork, Optional<String> grpcTarget, String controller) {
        Scene {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(target, "target");
            targetPods = List.copyOf(targetPods);
        }
    }

    /** The whole summary of a running federation. */
    static String of(LocalFederation fed) {
        boolean loopback = fed.networkMode() == NetworkMode.LOOPBACK;
        StringBuilder b = new StringBuilder("\nLocal federation '" + fed.topology().name() + "' is up"
                + (loopback ? " in LOOPBACK mode" : "") + " (Ctrl-C here or `./isthmus local down` stops it).\n");
        if (loopback) {
            b.append("  NETWORKS ARE NOT ISOLATED: every part has its own 127.x.y.z address on this machine's loopback and any pod\n")
                    .append("  can reach any other network's pods directly; the mesh still routes cross-network calls through the\n")
                    .append("  east-west gateways. Run it as root without --no-netns for one network namespace per pod.\n");
        }
        for (SimulatedCluster c : fed.clusters()) {
            b.append(String.format("  cluster %-8s network %-14s API %s  controller %s%n", c.name(), c.spec().network(), c.api().url(),
                    c.controller() == null ? "- (uses " + c.spec().controlPlane() + "'s)"
                            : c.nodeAddress() + ":" + WellKnownPorts.XDS_SECURE + " (monitoring :" + WellKnownPorts.CONTROLLER_MONITORING + ")"));
            for (PodHandle p : c.pods()) {
                b.append(String.format("    pod %-22s %-12s zone %-12s %s  pid %d%n", p.name(), p.record().address(), p.record().zone(),
                        loopback ? "(app .2, outbound .3 of its /24)" : "netns " + netns(p), p.process().pid()));
            }
        }
        for (String n : fed.topology().networks()) {
            GatewayProcess g = fed.gateway(n);
            if (g != null) {
                b.append(String.format("  east-west gateway of %-14s %s:%d%n", n, g.publicAddress(), WellKnownPorts.EAST_WEST_PASSTHROUGH));
            }
        }
        scene(fed).ifPresent(s -> b.append(tryCommands(s)));
        if (fed.topology().hasEdges()) {
            b.append("  ip netns exec isthmus-outside-client curl -s --cacert ").append(fed.edges().ingressCaFile())
                    .append(" https://bookinfo.example.test/\n");
            b.append("      from outside the mesh, through the ingress gateway (TLS by SNI; installed from\n")
                    .append("      topology-configs/manifests/edges/ingress.yaml, credentials in istio-system)\n");
            fed.clusters().get(0).pods().stream().filter(p -> p.record().service().equals("client")).findFirst().ifPresent(c ->
                    b.append("  ip netns exec ").append(netns(c)).append(" curl -s http://api.external.test/\n")
                            .append("      to the external HTTPS service through the egress gateway (manifests/edges/egress.yaml)\n"));
        }
        b.append("\n  logs: ").append(fed.options().workDir().resolve("logs"))
                .append("  (the runner's own: ").append(fed.options().workDir().resolve("local.log")).append(")\n");
        return b.toString();
    }

    /** The namespace of a pod in namespace mode. */
    static String netns(PodHandle p) {
        return "isthmus-" + p.record().cluster() + "-" + p.name();
    }

    /** The scene of a federation: its client pod (service {@code client}, else the first pod) and what it calls. */
    static Optional<Scene> scene(LocalFederation fed) {
        boolean loopback = fed.networkMode() == NetworkMode.LOOPBACK;
        List<PodHandle> all = fed.clusters().stream().flatMap(c -> c.pods().stream()).toList();
        Optional<PodHandle> client = all.stream().filter(p -> p.record().service().equals("client")).findFirst();
        if (client.isEmpty()) {
            return Optional.empty();
        }
        Topology t = fed.topology();
        PodHandle c = client.get();
        String clientNetwork = t.cluster(c.record().cluster()).orElseThrow().network();
        Optional<ServiceSpec> target = t.services().stream().filter(s -> !s.name().equals("client") && httpPort(s).isPresent()
                && s.workloads().stream().anyMatch(w -> w.cluster().equals(c.record().cluster()))).findFirst();
        if (target.isEmpty()) {
            return Optional.empty();
        }
        List<TargetPod> pods = all.stream().filter(p -> p.record().cluster().equals(c.record().cluster())
                && p.record().service().equals(target.get().name()))
                .map(p -> new TargetPod(p.name(), loopback ? "" : netns(p), p.record().address(), p.process().pid())).toList();
        Optional<String[]> cross = t.services().stream().filter(s -> httpPort(s).isPresent() && !s.workloads().isEmpty()
                        && s.workloads().stream().noneMatch(w -> t.cluster(w.cluster()).map(x -> x.network().equals(clientNetwork)).orElse(true)))
                .findFirst().map(s -> new String[] {hostPort(s, httpPort(s).get()), s.workloads().get(0).cluster()});
        Optional<String> grpc = t.services().stream().flatMap(s -> s.ports().stream()
                .filter(p -> p.protocol() == PortSpec.Protocol.GRPC).map(p -> hostPort(s, p))).findFirst();
        SimulatedCluster own = fed.cluster(c.record().cluster());
        SimulatedCluster primary = own.controller() != null || own.spec().controlPlane().isEmpty() ? own : fed.cluster(own.spec().controlPlane());
        return Optional.of(new Scene(fed.networkMode(), c.record().cluster(), c.name(), loopback ? "" : netns(c), c.record().address(),
                hostPort(target.get(), httpPort(target.get()).get()), pods, cross, grpc,
                primary.nodeAddress() + ":" + WellKnownPorts.CONTROLLER_MONITORING));
    }

    private static Optional<PortSpec> httpPort(ServiceSpec s) {
        return s.ports().stream().filter(p -> p.protocol() == PortSpec.Protocol.HTTP).findFirst();
    }

    private static String hostPort(ServiceSpec s, PortSpec p) {
        return s.hostname() + ":" + p.port();
    }

    /** Wraps text at spaces into lines of at most {@code width} characters (a longer word stays whole), each indented. */
    static String wrap(String text, String indent, int width) {
        StringBuilder out = new StringBuilder();
        StringBuilder line = new StringBuilder(indent);
        for (String word : text.split(" ")) {
            if (line.length() > indent.length() && line.length() + 1 + word.length() > width) {
                out.append(line).append('\n');
                line = new StringBuilder(indent);
            }
            line.append(line.length() > indent.length() ? " " : "").append(word);
        }
        return out.append(line).append('\n').toString();
    }

    /** The commands to try, each followed by what it shows. */
    static String tryCommands(Scene s) {
        boolean loopback = s.mode() == NetworkMode.LOOPBACK;
        String name = s.target().substring(0, s.target().indexOf('.'));
        String control = "http://" + s.clientAddress() + ":" + ControlServer.PORT;
        // In namespace mode the pods' addresses are reached from the outer namespace, where the runner lives.
        String outer = loopback ? "" : "ip netns exec " + LocalCommand.OUTER + " ";
        String inClient = loopback ? "" : "ip netns exec " + s.clientNetns() + " ";
        String call = loopback ? "curl -s '" + control + "/call?url=http://" + s.target() + "/'"
                : inClient + "curl -s http://" + s.target() + "/";
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {call, "call " + name + " by its hostname from " + s.clientCluster() + "'s client pod ("
                + (loopback ? "its JVM's hosts file maps the name to its sidecar's outbound address"
                : "its sidecar's DNS proxy answers 127.0.0.2, where the sidecar's outbound listener waits")
                + "); the answer names the cluster, zone and pod that served it"});
        s.crossNetwork().ifPresent(x -> lines.add(new String[] {
                loopback ? "curl -s '" + control + "/call?url=http://" + x[0] + "/'" : inClient + "curl -s http://" + x[0] + "/",
                x[0].substring(0, x[0].indexOf('.')) + " runs only in " + x[1] + ": this call crosses " + x[1]
                        + "'s east-west gateway, mTLS end to end (\"caller\" is the client's SPIFFE ID)"}));
        s.grpcTarget().ifPresent(g -> lines.add(new String[] {outer + "curl -s '" + control + "/grpc/hello?target=" + g + "'",
                "the same over gRPC from the client pod's app (/grpc/watch?count=5&target=... streams; docs/demo-app.md)"}));
        lines.add(new String[] {"watch -n 0.5 \"" + call.replace("\"", "\\\"") + "\"",
                "keep calling " + name + "; then, from another shell, kill " + s.clientCluster() + "'s " + name + " pods:"});
        String kill = loopback || s.targetPods().stream().anyMatch(p -> p.netns().isEmpty())
                ? "kill " + String.join(" ", s.targetPods().stream().map(p -> Long.toString(p.pid())).toList())
                : "for ns in " + String.join(" ", s.targetPods().stream().map(TargetPod::netns).toList())
                        + "; do ip netns pids $ns | xargs -r kill; done";
        lines.add(new String[] {kill, "the answers move to " + name + " in the other clusters (through their east-west gateway"
                + " when on another network); killed pods are not restarted"});
        if (!s.targetPods().isEmpty()) {
            TargetPod p = s.targetPods().get(0);
            lines.add(new String[] {outer + "curl -s 'http://" + p.address() + ":" + ControlServer.PORT + "/fault?code=503'",
                    "or make " + s.clientCluster() + "'s " + p.name() + " answer 503 (code=0 heals it): the sidecars retry elsewhere"});
        }
        String sidecar = loopback ? "http://" + s.clientAddress() + ":" : "localhost:";
        lines.add(new String[] {inClient + "curl -s " + sidecar + WellKnownPorts.METRICS + "/stats/prometheus | grep istio_requests_total",
                "the client sidecar's request counts (Istio's metric names and labels)"});
        lines.add(new String[] {inClient + "curl -s " + sidecar + WellKnownPorts.ADMIN + "/clusters | grep " + name,
                "its endpoints of " + name + " with locality, priority and weight (another network's pods: its gateway)"});
        lines.add(new String[] {outer + "./isthmus proxy-status --controller http://" + s.controller(),
                "the proxies the client's controller serves, and whether each is in sync"});
        lines.add(new String[] {outer + "./isthmus proxy-config endpoints " + s.clientPod() + " --controller http://" + s.controller(),
                "what it sends the client's sidecar (also clusters, listeners, routes, secrets)"});
        StringBuilder b = new StringBuilder("\nTry" + (loopback ? " (no root needed)" : " (as root, from another shell)") + ":\n");
        for (String[] l : lines) {
            b.append("  ").append(l[0]).append('\n').append(wrap(l[1], "      ", 110));
        }
        b.append("  ./isthmus local down   (or Ctrl-C here)\n      stops everything and removes what it made\n");
        return b.toString();
    }
}
