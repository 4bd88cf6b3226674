package io.isthmus.e2e.local;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.isthmus.e2e.demo.DemoAppCommand;
import io.isthmus.e2e.net.AddressPlan;
import io.isthmus.e2e.net.FederationNetwork;
import io.isthmus.e2e.net.Ip;
import io.isthmus.e2e.net.LoopbackNetwork;
import io.isthmus.e2e.net.LoopbackPlan;
import io.isthmus.e2e.net.NetworkMode;
import io.isthmus.e2e.net.NetworkSandbox;
import io.isthmus.e2e.net.PodNetwork;
import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.topology.ClusterSpec;
import io.isthmus.e2e.topology.RemoteSecretSpec;
import io.isthmus.e2e.topology.ServiceSpec;
import io.isthmus.e2e.topology.Topology;
import io.isthmus.e2e.topology.WorkloadSpec;
import io.isthmus.controller.federation.RemoteSecrets;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.WellKnownPorts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole local federation on this machine, started from a {@link Topology}: its network (a
 * sandbox of network namespaces, or in loopback mode distinct 127.x.y.z addresses and no
 * isolation), PKI, one API server per cluster, a controller per primary, an east-west gateway per
 * network, every pod, and the remote secrets. {@link #close()} stops and removes everything.
 */
public final class LocalFederation implements Federation {
    private static final Logger LOG = LoggerFactory.getLogger(LocalFederation.class);

    private final Topology topology;
    private final FederationOptions options;
    private final FederationNetwork network;
    private final LocalPki pki;
    private final Map<String, SimulatedCluster> clusters = new LinkedHashMap<>();
    private final Map<String, GatewayProcess> gateways = new LinkedHashMap<>();
    private final PodLauncher pods;
    private final Edges edges;
    private boolean closed;

    private LocalFederation(Topology topology, FederationOptions options, FederationNetwork network) {
        this.topology = topology;
        this.options = options;
        this.network = network;
        this.pki = new LocalPki(options.workDir().resolve("pki"), topology.trustDomain());
        this.pods = new PodLauncher(this, options);
        this.edges = topology.hasEdges() ? new Edges(this, options.workDir()) : null;
    }

    /**
     * How long a start waits for another local federation on this machine to end
     * ({@code -Disthmus.local.lockWaitSeconds}, default 0: fail at once; the e2e suite waits).
     */
    private static final Duration LOCK_WAIT = Duration.ofSeconds(Long.getLong("isthmus.local.lockWaitSeconds", 0));

    /**
     * Starts a federation and waits until every part that exists is up. The network mode comes
     * from the options ({@link NetworkMode#AUTO}: namespaces when this machine allows them).
     */
    public static LocalFederation start(Topology topology, FederationOptions options) {
        NetworkMode mode = options.mode().resolve(Ip.netnsAvailable());
        if (mode == NetworkMode.LOOPBACK && topology.hasEdges()) {
            throw new IllegalArgumentException("topology " + topology.name() + " declares edge gateways or external services;"
                    + " they need network namespaces (root and 'ip netns'), loopback mode runs topologies without edges");
        }
        FederationNetwork network = mode == NetworkMode.LOOPBACK ? LoopbackNetwork.open(new LoopbackPlan(topology)) : null;
        try {
            // the machine-wide lock first: a run waiting for it must not clean the running one's files
            if (network == null) {
                network = NetworkSandbox.open(new AddressPlan(topology), LOCK_WAIT);
            }
            clean(options.workDir());
            ChildProcess.snapshotClasspath(options.workDir().resolve("lib"));
        } catch (RuntimeException e) {
            if (network != null) {
                network.close();
            }
            throw e;
        }
        ChildProcess.runFlags(mode == NetworkMode.LOOPBACK ? List.of(LoopbackNetwork.MARKER) : List.of());
        LocalFederation f = new LocalFederation(topology, options.withMode(mode), network);
        try {
            f.startAll();
            return f;
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private void startAll() {
        if (network.mode() == NetworkMode.LOOPBACK) {
            progress("WARNING: NOT ISOLATED. No network namespaces: every pod, gateway and API server has its own 127.x.y.z"
                    + " address on this machine's loopback, and any pod can reach any other network's pods directly."
                    + " The mesh still routes cross-network calls through the east-west gateways.");
        }
        progress("network: " + network.describe());
        pki.create(topology.clusters().stream().map(ClusterSpec::name).toList());
        progress("pki: root + intermediates in " + pki.rootCert().getParent());
        int i = 0;
        for (ClusterSpec c : topology.clusters()) {
            String node = network.nodeAddress(c.name());
            SimulatedCluster sc = new SimulatedCluster(c, node, ApiServer.start(c.name(), node));
            clusters.put(c.name(), sc);
            sc.seed(topology, ++i);
            sc.api().writeKubeconfig(options.workDir().resolve("kubeconfig-" + c.name()));
            progress("api server: " + c.name() + " at " + sc.api().url());
        }
        for (String net : topology.networks()) {
            ClusterSpec owner = topology.clusters().stream().filter(c -> c.network().equals(net)).findFirst().orElseThrow();
            String gatewayAddress = network.gatewayPublicAddress(net);
            for (SimulatedCluster sc : clusters.values()) {
                if (sc.spec().network().equals(net)) {
                    sc.client().services().resource(KubeObjects.gatewayService(net, gatewayAddress))
                            .createOr(NonDeletingOperation::update);
                }
            }
            LOG.debug("gateway service of [{}] announced in the clusters of {}", net, owner.name());
        }
        for (RemoteSecretSpec r : topology.remoteSecrets()) {
            createRemoteSecret(r.holder(), r.of());
        }
        pods.writeTokens();
        for (SimulatedCluster sc : clusters.values()) {
            if (sc.spec().role() == ClusterSpec.Role.PRIMARY) {
                sc.controller(ControllerProcess.start(sc, topology.clusters().indexOf(sc.spec()), topology, pki,
                        pods.tokensFile(), options.workDir()));
            }
        }
        progress("controllers: starting " + clusters.values().stream().filter(sc -> sc.controller() != null).map(SimulatedCluster::name)
                .toList() + ", one JVM each (logs/controller-<cluster>.log); up to a minute on a busy machine...");
        for (SimulatedCluster sc : clusters.values()) {
            if (sc.controller() != null) {
                ControllerProcess.awaitReady(sc, options.readyTimeout());
                progress("controller: " + sc.name() + " xDS+CA at " + sc.nodeAddress() + ":" + WellKnownPorts.XDS_SECURE);
            }
        }
        for (String net : topology.networks()) {
            gateways.put(net, GatewayProcess.start(this, net));
        }
        for (GatewayProcess g : gateways.values()) {
            g.awaitReady(options.readyTimeout());
            progress("east-west gateway: " + g.network() + " at " + g.publicAddress() + ":" + WellKnownPorts.EAST_WEST_PASSTHROUGH);
        }
        List<PodHandle> edgeGateways = List.of();
        if (edges != null) {
            edges.startOutside();
            progress("outside: client at " + AddressPlan.OUTSIDE_CLIENT + " on " + AddressPlan.OUTSIDE_SUBNET
                    + ", external services on " + AddressPlan.EXTERNAL_SUBNET + " " + topology.externalServices());
            edgeGateways = edges.startGateways();
        }
        List<PodHandle> started = new ArrayList<>();
        for (ServiceSpec s : topology.services()) {
            for (WorkloadSpec w : s.workloads()) {
                for (int r = 0; r < w.replicas(); r++) {
                    started.add(pods.start(s, w));
                }
            }
        }
        progress("pods: starting " + started.size() + ", one JVM each; each is listed once its app answers and its sidecar has its"
                + " certificate and config...");
        for (PodHandle p : started) {
            PodHandle ready = pods.awaitReady(p);
            progress("pod: " + ready);
        }
        for (PodHandle g : edgeGateways) {
            progress("edge gateway: " + edges.awaitGateway(g));
        }
        if (edges != null) {
            edges.awaitOutside();
            progress("outside: client and external services answer");
        }
    }

    /** The edge gateways and the world outside the mesh; throws when the topology declares none. */
    public Edges edges() {
        if (edges == null) {
            throw new IllegalStateException("topology " + topology.name() + " declares no edge gateways or external services");
        }
        return edges;
    }

    /** Creates the remote secret of {@code of} in {@code holder}'s {@code isthmus-system} namespace. */
    public void createRemoteSecret(String holder, String of) {
        Secret s = RemoteSecrets.remoteSecret(of, cluster(of).api().kubeconfig(), MeshLabels.SYSTEM_NAMESPACE);
        cluster(holder).client().secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).resource(s)
                .createOr(NonDeletingOperation::update);
        progress("remote secret: " + holder + " holds " + of);
    }

    /** Deletes the remote secret of {@code of} from {@code holder}. */
    public void deleteRemoteSecret(String holder, String of) {
        cluster(holder).client().secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE)
                .withName(RemoteSecrets.NAME_PREFIX + of).delete();
        progress("remote secret deleted: " + holder + " no longer holds " + of);
    }

    /** Kills a primary's controller (SIGKILL); its proxies keep their last config. */
    public void killController(String clusterName) {
        SimulatedCluster sc = cluster(clusterName);
        if (sc.controller() == null) {
            throw new IllegalStateException("cluster " + clusterName + " runs no controller");
        }
        sc.controller().kill();
        progress("controller killed: " + clusterName);
    }

    /** Starts a primary's controller again after {@link #killController} and waits until it listens. */
    public void restartController(String clusterName) {
        SimulatedCluster sc = cluster(clusterName);
        int index = topology.clusters().indexOf(sc.spec());
        sc.controller(ControllerProcess.start(sc, index, topology, pki, pods.tokensFile(), options.workDir()));
        ControllerProcess.awaitReady(sc, options.readyTimeout());
        progress("controller restarted: " + clusterName);
    }

    /** A cluster by name. */
    public SimulatedCluster cluster(String name) {
        SimulatedCluster c = clusters.get(name);
        if (c == null) {
            throw new IllegalArgumentException("no cluster named '" + name + "' (clusters: " + clusters.keySet() + ")");
        }
        return c;
    }

    /** All clusters. */
    public List<SimulatedCluster> clusters() {
        return List.copyOf(clusters.values());
    }

    /** The east-west gateway of a network, or null when none runs. */
    public GatewayProcess gateway(String network) {
        return gateways.get(network);
    }

    /** The first running pod of a service in a cluster. */
    public PodHandle pod(String cluster, String service) {
        return cluster(cluster).pods(service).stream().findFirst().orElseThrow(
                () -> new IllegalArgumentException("no running pod of " + service + " in " + cluster));
    }

    /** Kills a pod (SIGKILL); after {@code endpointDelay} its endpoint and Pod object are removed. */
    public void kill(PodHandle pod, Duration endpointDelay) {
        pods.kill(pod, endpointDelay);
    }

    /** Kills a pod of this federation; see {@link #kill(PodHandle, Duration)}. */
    @Override
    public void kill(MeshPod pod, Duration endpointDelay) {
        if (!(pod instanceof PodHandle p)) {
            throw new IllegalArgumentException("not a pod of the local federation: " + pod);
        }
        kill(p, endpointDelay);
    }

    /** The lifetime the sidecars ask for ({@code --cert-ttl}; zero in the options = the sidecar's default, 24 h). */
    @Override
    public Duration workloadCertTtl() {
        return options.proxyCertTtl().isZero() ? Duration.ofHours(24) : options.proxyCertTtl();
    }

    /** Starts one more pod of a service in a cluster and zone and waits until it is ready. */
    public PodHandle startPod(String service, String cluster, String zone, String version) {
        ServiceSpec s = topology.service(service).orElseThrow(() -> new IllegalArgumentException("no service " + service));
        return pods.awaitReady(pods.start(s, new WorkloadSpec(cluster, zone, version, 1)));
    }

    /** The topology. */
    public Topology topology() {
        return topology;
    }

    /**
     * The network sandbox of namespace mode.
     *
     * @throws IllegalStateException in loopback mode, which has no sandbox
     */
    public NetworkSandbox sandbox() {
        if (network instanceof NetworkSandbox sb) {
            return sb;
        }
        throw new IllegalStateException("the federation runs in loopback mode: there is no network sandbox");
    }

    /** The federation's network, either mode. */
    public FederationNetwork network() {
        return network;
    }

    /** {@link NetworkMode#NETNS} or {@link NetworkMode#LOOPBACK}. */
    public NetworkMode networkMode() {
        return network.mode();
    }

    /** The PKI. */
    public LocalPki pki() {
        return pki;
    }

    /** The PKI directory: the mesh root and its key. */
    @Override
    public Path caRootDir() {
        return pki.rootCert().getParent();
    }

    /** The cluster's controller {@code --ca-dir} itself (the operator writes it in place). */
    @Override
    public Path caFilesDir(String cluster) {
        return pki.caDir(cluster(cluster).name());
    }

    /**
     * Copies the CA files in {@code dir} into the cluster's {@code --ca-dir} (nothing to do when
     * {@code dir} is that directory); its controller re-reads them.
     */
    @Override
    public void writeCaFiles(String cluster, Path dir) {
        Path target = caFilesDir(cluster);
        try {
            if (Files.isSameFile(dir, target)) {
                return;
            }
            for (String f : List.of("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem")) {
                Path p = dir.resolve(f);
                if (Files.isRegularFile(p)) {
                    Files.write(target.resolve(f), Files.readAllBytes(p));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the CA files of " + cluster + " from " + dir, e);
        }
    }

    /** The pod launcher. */
    PodLauncher podLauncher() {
        return pods;
    }

    /** The options. */
    public FederationOptions options() {
        return options;
    }

    void progress(String line) {
        LOG.info("{}", line);
        options.progress().accept(line);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (edges != null) {
            edges.close();
        }
        pods.close();
        gateways.values().forEach(GatewayProcess::close);
        clusters.values().forEach(SimulatedCluster::close);
        network.close();
        ChildProcess.runFlags(List.of());
        LOG.info("local federation stopped [{}]", topology.name());
    }

    private static void clean(Path workDir) {
        try {
            Files.createDirectories(workDir);
            for (String sub : List.of("pki", "pods", "lib", "logs", "edges")) {
                Path d = workDir.resolve(sub);
                if (Files.exists(d)) {
                    try (var s = Files.walk(d)) {
                        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + workDir, e);
        }
    }

    /** The main class of the pod JVM. */
    static String podMain() {
        return DemoAppCommand.class.getName();
    }

    /** A pod's network in the sandbox. */
    PodNetwork addPodNetwork(String cluster, String podName) {
        return network.addPod(cluster, cluster(cluster).spec().network(), podName);
    }
}
