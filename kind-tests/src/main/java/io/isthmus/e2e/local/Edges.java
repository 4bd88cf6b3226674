package io.isthmus.e2e.local;

import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.isthmus.e2e.net.AddressPlan;
import io.isthmus.e2e.net.NetworkSandbox;
import io.isthmus.e2e.net.PodNetwork;
import io.isthmus.e2e.topology.ClusterSpec;
import io.isthmus.e2e.topology.ExternalServiceSpec;
import io.isthmus.e2e.topology.GatewaySpec;
import io.isthmus.e2e.topology.NodeSpec;
import io.isthmus.e2e.topology.PortSpec;
import io.isthmus.e2e.topology.ServiceSpec;
import io.isthmus.e2e.topology.Topology;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.mesh.WellKnownPorts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The federation's edges and the world beyond them: each cluster's ingress and egress gateway
 * ({@code isthmus proxy --mode router} pods in {@code istio-system}, no app), the external client
 * (outside network, resolves the ingress hosts to its ingress gateway and reaches nothing else),
 * the external HTTPS services (external network, reached only by their egress gateway), and the
 * CAs of the outside world (not the mesh root): the ingress CA, the external services' CA and the
 * CA of the outside client's own certificate (which it presents to MUTUAL ingress servers when asked).
 */
public final class Edges implements AutoCloseable {
    /** The egress gateway Service's port, as Istio's: 443 named {@code https}. */
    public static final int EGRESS_SERVICE_PORT = 443;
    /** The egress gateway pod's port behind it (its {@code Gateway} server port). */
    public static final int EGRESS_TARGET_PORT = 8443;
    private static final Logger LOG = LoggerFactory.getLogger(Edges.class);

    private final LocalFederation federation;
    private final Topology topology;
    private final Path dir;
    private final List<ChildProcess> processes = new CopyOnWriteArrayList<>();
    private final Map<String, PodHandle> gateways = new LinkedHashMap<>();
    private final Map<String, PodHandle> externalServices = new LinkedHashMap<>();
    private PodHandle outsideClient;
    private String outsideClientNetns;
    private EdgePki.Authority ingressCa;
    private EdgePki.Authority externalCa;
    private EdgePki.Authority clientCa;

    Edges(LocalFederation federation, Path workDir) {
        this.federation = federation;
        this.topology = federation.topology();
        this.dir = workDir.resolve("edges");
    }

    /** Builds the outside and external networks and the outside CAs, and starts the external services and client; returns at once. */
    void startOutside() {
        NetworkSandbox sb = federation.sandbox();
        sb.addEdgeBridge(AddressPlan.OUTSIDE_BRIDGE, AddressPlan.OUTSIDE_ROUTER + "/24");
        sb.addEdgeBridge(AddressPlan.EXTERNAL_BRIDGE, AddressPlan.EXTERNAL_ROUTER + "/24");
        ingressCa = EdgePki.Authority.create("Isthmus test ingress CA");
        ingressCa.writeCert(ingressCaFile());
        externalCa = EdgePki.Authority.create("Isthmus test external CA");
        externalCa.writeCert(externalCaFile());
        clientCa = EdgePki.Authority.create("Isthmus test client CA");
        Path clientDir = dir.resolve("outside-client");
        EdgePki.write(clientCa.issue("outside-client.example.test"), clientDir);
        int j = 0;
        for (ExternalServiceSpec e : topology.externalServices()) {
            j++;
            String name = "ext-" + j;
            PodNetwork net = sb.addHost(name, AddressPlan.EXTERNAL_BRIDGE, AddressPlan.externalServiceAddress(j), 24);
            Path certDir = dir.resolve(e.host());
            EdgePki.write(externalCa.issue(e.host()), certDir);
            List<String> args = List.of("--service", e.host(), "--namespace", "external", "--cluster", "external",
                    "--pod", e.host(), "--port", Integer.toString(e.port()), "--app-address", "0.0.0.0",
                    "--tls-cert", certDir.resolve("cert.pem").toAbsolutePath().toString(),
                    "--tls-key", certDir.resolve("key.pem").toAbsolutePath().toString());
            ChildProcess p = ChildProcess.startJava("external-" + e.host(), net.execPrefix(), "96m", LocalFederation.podMain(),
                    args, federation.options().workDir().resolve("logs"));
            processes.add(p);
            externalServices.put(e.host(), new PodHandle(new PodRecord("external", e.host(), "external", e.host(), "",
                    "", "", "", net.address(), Map.of(), false), p));
        }
        List<String> hosts = new ArrayList<>();
        for (ClusterSpec c : topology.clusters()) {
            c.gateway(GatewaySpec.Kind.INGRESS).filter(g -> !g.hosts().isEmpty()).ifPresent(g ->
                    hosts.add(AddressPlan.ingressOutsideAddress(index(c)) + " " + String.join(" ", g.hosts())));
        }
        PodNetwork net = sb.addHost("outside-client", AddressPlan.OUTSIDE_BRIDGE, AddressPlan.OUTSIDE_CLIENT, 24);
        NetworkSandbox.writeHosts(net.netns(), hosts);
        outsideClientNetns = net.netns();
        List<String> args = List.of("--service", "outside-client", "--namespace", "outside", "--cluster", "outside",
                "--pod", "outside-client-0", "--trust-pem", ingressCaFile().toAbsolutePath().toString(),
                "--client-cert", clientDir.resolve("cert.pem").toAbsolutePath().toString(),
                "--client-key", clientDir.resolve("key.pem").toAbsolutePath().toString());
        ChildProcess p = ChildProcess.startJava("outside-client", net.execPrefix(), "96m", LocalFederation.podMain(), args,
                federation.options().workDir().resolve("logs"));
        processes.add(p);
        outsideClient = new PodHandle(new PodRecord("outside", "outside-client-0", "outside", "outside-client", "", "", "",
                "", net.address(), Map.of(), false), p);
    }

    /** Starts every cluster's ingress and egress gateway pod; returns the handles to wait for. */
    List<PodHandle> startGateways() {
        List<PodHandle> started = new ArrayList<>();
        for (ClusterSpec c : topology.clusters()) {
            for (GatewaySpec g : c.gateways()) {
                started.add(startGateway(c, g));
            }
        }
        return started;
    }

    private PodHandle startGateway(ClusterSpec c, GatewaySpec g) {
        SimulatedCluster cluster = federation.cluster(c.name());
        cluster.client().namespaces().resource(KubeObjects.namespace(GatewaySpec.NAMESPACE, c.network()))
                .createOr(NonDeletingOperation::update);
        String workload = g.kind().workloadName();
        String pod = workload + "-0";
        NodeSpec node = c.node(g.zone()).orElseThrow();
        NetworkSandbox sb = federation.sandbox();
        PodNetwork net = sb.addPod(c.name(), c.network(), pod);
        ServiceSpec service = serviceOf(g);
        if (g.kind() == GatewaySpec.Kind.INGRESS) {
            sb.addLeg(net, AddressPlan.OUTSIDE_BRIDGE, AddressPlan.ingressOutsideAddress(index(c)), 24);
        } else {
            sb.addLeg(net, AddressPlan.EXTERNAL_BRIDGE, AddressPlan.egressExternalAddress(index(c)), 24);
            List<String> hosts = new ArrayList<>();
            int j = 0;
            for (ExternalServiceSpec e : topology.externalServices()) {
                j++;
                if (e.cluster().equals(c.name())) {
                    hosts.add(AddressPlan.externalServiceAddress(j) + " " + e.host());
                }
            }
            NetworkSandbox.writeHosts(net.netns(), hosts);
            cluster.createService(service, "10.96." + index(c) + ".200");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("istio", g.kind().istioLabel());
        labels.put(MeshLabels.APP, workload);
        labels.put(MeshLabels.NETWORK, c.network());
        // a gateway is a proxy that takes the mesh's mTLS, labelled as Istio's injector labels it
        labels.put(MeshLabels.TLS_MODE, MeshLabels.TLS_MODE_ISTIO);
        PodRecord rec = new PodRecord(c.name(), pod, GatewaySpec.NAMESPACE, workload, workload, node.name(),
                cluster.nodeAddress(), g.zone(), net.address(), labels, false);
        PodLauncher launcher = federation.podLauncher();
        String[] xds = launcher.controlPlaneAddress(c.name(), false);
        Bootstrap b = new Bootstrap(ProxyMetadata.TYPE_ROUTER, pod, GatewaySpec.NAMESPACE, net.address(), workload, c.name(),
                c.network(), node.region(), node.zone(), node.subzone(), workload, labels, "", xds[0],
                Integer.parseInt(xds[1]), false);
        List<String> args = new ArrayList<>(List.of("--service", workload, "--namespace", GatewaySpec.NAMESPACE,
                "--cluster", c.name(), "--zone", g.zone(), "--pod", pod, "--version", "v1", "--"));
        args.addAll(launcher.proxyFiles(c.name() + "-" + pod, b, GatewaySpec.NAMESPACE, workload));
        args.addAll(List.of("--mode", "router"));
        if (!federation.options().proxyCertTtl().isZero()) {
            args.addAll(List.of("--cert-ttl", federation.options().proxyCertTtl().toSeconds() + "s"));
        }
        ChildProcess p = ChildProcess.startJava(c.name() + "-" + pod, net.execPrefix(), "128m", LocalFederation.podMain(),
                args, federation.options().workDir().resolve("logs"));
        processes.add(p);
        PodHandle handle = new PodHandle(rec, p);
        cluster.podStarting(handle);
        LOG.info("edge gateway starting [{}/{}] ip={} kind={}", c.name(), pod, net.address(), g.kind());
        return handle;
    }

    /** Waits until a gateway's proxy is ready, then publishes it ready (the egress gateway's endpoint). */
    PodHandle awaitGateway(PodHandle pod) {
        awaitControl(pod, true);
        GatewaySpec.Kind kind = pod.record().labels().get("istio").startsWith("ingress") ? GatewaySpec.Kind.INGRESS
                : GatewaySpec.Kind.EGRESS;
        PodHandle ready = federation.cluster(pod.record().cluster()).podReady(pod, serviceOf(new GatewaySpec(kind,
                pod.record().zone(), List.of())));
        gateways.put(pod.record().cluster() + "/" + kind, ready);
        return ready;
    }

    /** Waits until the external services and the client answer on their control ports. */
    void awaitOutside() {
        externalServices.values().forEach(p -> awaitControl(p, false));
        awaitControl(outsideClient, false);
    }

    private void awaitControl(PodHandle pod, boolean proxy) {
        Waits.until((proxy ? "edge gateway " : "outside process ") + pod + " to be ready", federation.options().readyTimeout(), () -> {
            if (!pod.process().alive()) {
                throw new Waits.Fatal("process exited");
            }
            if (!pod.healthy()) {
                return false;
            }
            return !proxy || pod.call("http://127.0.0.1:" + WellKnownPorts.HEALTH + "/healthz/ready").status() == 200;
        }, () -> "log " + pod.process().log() + ":\n" + pod.process().tail(40));
    }

    /** The registry Service of a gateway kind: the egress gateway's {@code istio-egressgateway.istio-system:443 -> 8443}. */
    private static ServiceSpec serviceOf(GatewaySpec g) {
        String name = g.kind().workloadName();
        List<PortSpec> ports = g.kind() == GatewaySpec.Kind.EGRESS
                ? List.of(new PortSpec("https", EGRESS_SERVICE_PORT, EGRESS_TARGET_PORT, PortSpec.Protocol.HTTPS))
                : List.of(new PortSpec("https", 443, 443, PortSpec.Protocol.HTTPS));
        return new ServiceSpec(name, GatewaySpec.NAMESPACE, name, ports, List.of());
    }

    private int index(ClusterSpec c) {
        return topology.clusters().indexOf(c) + 1;
    }

    /** A cluster's ingress gateway pod. */
    public PodHandle ingress(String cluster) {
        return gateway(cluster, GatewaySpec.Kind.INGRESS);
    }

    /** A cluster's egress gateway pod. */
    public PodHandle egress(String cluster) {
        return gateway(cluster, GatewaySpec.Kind.EGRESS);
    }

    private PodHandle gateway(String cluster, GatewaySpec.Kind kind) {
        PodHandle p = gateways.get(cluster + "/" + kind);
        if (p == null) {
            throw new IllegalArgumentException("cluster " + cluster + " runs no " + kind.istioLabel() + " (topology clusters[].gateways)");
        }
        return p;
    }

    /** The address of a cluster's ingress gateway on the outside network (what outside clients connect to). */
    public String ingressOutsideAddress(String cluster) {
        return AddressPlan.ingressOutsideAddress(index(topology.cluster(cluster).orElseThrow()));
    }

    /** The client outside the mesh (its control port makes its calls: {@code /call?...&fresh=1}). */
    public PodHandle outsideClient() {
        return outsideClient;
    }

    /** The outside client's network namespace. */
    public String outsideClientNetns() {
        return outsideClientNetns;
    }

    /** An external service by host. */
    public PodHandle externalService(String host) {
        PodHandle p = externalServices.get(host);
        if (p == null) {
            throw new IllegalArgumentException("no external service " + host + " (topology externalServices)");
        }
        return p;
    }

    /** The CA of the certificates the ingress gateways show (what outside clients trust). */
    public EdgePki.Authority ingressCa() {
        return ingressCa;
    }

    /** The CA of the outside client's certificate (what a MUTUAL ingress server's {@code ca.crt} holds). */
    public EdgePki.Authority clientCa() {
        return clientCa;
    }

    /** The ingress CA certificate file. */
    public Path ingressCaFile() {
        return dir.resolve("ingress-ca.pem").toAbsolutePath();
    }

    /** The CA certificate file of external services (what a DestinationRule's {@code caCertificates} names). */
    public Path externalCaFile() {
        return dir.resolve("external-ca.pem").toAbsolutePath();
    }

    @Override
    public void close() {
        processes.forEach(ChildProcess::close);
        processes.clear();
    }
}
