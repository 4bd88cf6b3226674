package io.isthmus.e2e.driver.kind;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.isthmus.controller.discovery.KubernetesClients;
import io.isthmus.controller.federation.RemoteSecrets;
import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.mesh.MeshLabels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The scenarios' federation on real kind clusters, over the kubeconfig contexts that
 * {@code kind-tests/kind/up.sh} made (one {@link KindCluster} per context), with the fabric8 client.
 * Every fault is a Kubernetes operation on the objects of {@code topology-configs/manifests}:
 * <ul>
 *   <li>a pod killed: its Deployment scaled down by one, then the pod deleted with no grace period
 *       (so it is not replaced); a pod started: the Deployment {@code <service>-<version>} (or
 *       {@code <service>} with label {@code version}) scaled up by one, then the new pod awaited Ready
 *       and answering on its control port;</li>
 *   <li>controllers killed: {@code isthmus-controller} in {@code isthmus-system} scaled to 0 and its pods
 *       deleted with no grace period; restarted: scaled back and awaited Ready;</li>
 *   <li>remote secrets: built by the code of {@code isthmus create-remote-secret}
 *       ({@link RemoteSecrets#flatten}, {@link RemoteSecrets#remoteSecret}) from this kubeconfig,
 *       with the API server URL other clusters reach (see {@link KindOptions#apiServers()}), or deleted;</li>
 *   <li>the east-west gateway: see {@link KindGateway}; Istio config: custom resources of the CRDs
 *       in {@code manifests/base/crds.yaml}.</li>
 * </ul>
 * What kind cannot do honestly is listed by {@link #unsupported}. Pods are driven through their
 * control port by port-forward ({@link PortForwards}), which the fabric8 mock server cannot test.
 */
public final class KindFederation implements Federation {
    /** The controller's Deployment in {@code isthmus-system} (manifests/base/controller.yaml). */
    static final String CONTROLLER = "isthmus-controller";
    /** The east-west gateway's Deployment and Service in {@code isthmus-system} (manifests/base/eastwest-gateway.yaml). */
    static final String GATEWAY = "istio-eastwestgateway";
    /** Value of the gateway pods' {@code istio} label. */
    static final String GATEWAY_LABEL = "eastwestgateway";
    /** The sidecar container of the demo pods (manifests/demo). */
    static final String PROXY_CONTAINER = "isthmus-proxy";
    /** The sidecar container's variable that the image's launcher turns into {@code --cert-ttl} (set by up.sh). */
    static final String CERT_TTL_ENV = "ISTHMUS_CERT_TTL";
    /** The sidecar's own default lifetime when {@code --cert-ttl} is not given. */
    static final Duration DEFAULT_CERT_TTL = Duration.ofHours(24);
    private static final Logger LOG = LoggerFactory.getLogger(KindFederation.class);

    private final Map<String, KindCluster> clusters = new LinkedHashMap<>();
    private final String kubeconfig;
    private final KindOptions options;
    private final Predicate<MeshPod> controlReady;
    private final PortForwards forwards = new PortForwards();
    private final Map<String, Integer> controllerReplicas = new ConcurrentHashMap<>();
    private final KindTopology topology;
    private final KindNodes nodes;
    private volatile Map<String, String> nodeZones;
    private volatile java.nio.file.Path pki = KindCaFiles.operatorPki(System::getProperty, System::getenv);

    /**
     * A federation over {@code clients} (context → client).
     *
     * @param kubeconfig   the kubeconfig text holding the contexts (remote secrets are made from it)
     * @param controlReady when a started pod counts as serving besides Ready (the real driver: its control port answers)
     * @param nodes        the kind node containers on the Docker host (API servers stopped and started)
     */
    KindFederation(Map<String, KubernetesClient> clients, String kubeconfig, KindOptions options, Predicate<MeshPod> controlReady,
                   KindNodes nodes) {
        this.nodes = nodes;
        this.kubeconfig = kubeconfig;
        this.options = options;
        this.controlReady = controlReady;
        for (Map.Entry<String, KubernetesClient> e : clients.entrySet()) {
            KindCluster c;
            try {
                c = KindCluster.of(this, e.getKey(), e.getValue());
            } catch (KubernetesClientException ex) {
                throw new IllegalStateException("kind context " + e.getKey() + ": cannot read its API server ("
                        + ex.getMessage() + "); is the cluster up (kind-tests/kind/up.sh)?", ex);
            }
            if (clusters.putIfAbsent(c.name(), c) != null) {
                throw new IllegalArgumentException("contexts " + clusters.get(c.name()).context() + " and " + e.getKey()
                        + " are both cluster " + c.name());
            }
            LOG.info("kind cluster [{}] context {} network {}", c.name(), c.context(), c.network());
        }
        this.topology = KindTopology.of(options, clusters.keySet());
    }

    /** The topology's file name ({@link KindOptions#topologyName()}): the scenarios of other topologies abort. */
    public String topologyName() {
        return options.topologyName();
    }

    /**
     * Whether {@code cluster} runs a controller according to the topology (a primary does, a remote
     * cluster does not), or empty when no topology file was given.
     */
    Optional<Boolean> primary(String cluster) {
        return topology.primary(cluster);
    }

    /** The primary whose controller serves {@code cluster}: itself for a primary, its control plane for a remote cluster. */
    public String controlPlaneOf(String cluster) {
        cluster(cluster);
        return topology.controlPlaneOf(cluster);
    }

    /** Connects to the clusters of {@code options}; a started pod counts once its control port answers. */
    public static KindFederation connect(KindOptions options) {
        return connect(options, MeshPod::healthy);
    }

    /** Connects to the clusters of {@code options}; {@code controlReady} says when a started pod serves. */
    static KindFederation connect(KindOptions options, Predicate<MeshPod> controlReady) {
        return connect(options, controlReady, KindNodes.docker());
    }

    /** Connects with {@code nodes} as the Docker host's node containers. */
    static KindFederation connect(KindOptions options, Predicate<MeshPod> controlReady, KindNodes nodes) {
        String text;
        try {
            text = Files.readString(options.kubeconfig());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kubeconfig " + options.kubeconfig(), e);
        }
        Map<String, KubernetesClient> clients = new LinkedHashMap<>();
        for (String ctx : options.contexts()) {
            clients.put(ctx, KubernetesClients.fromKubeconfig(RemoteSecrets.flatten(text, ctx, ctx, null), Duration.ofSeconds(30)));
        }
        return new KindFederation(clients, text, options, controlReady, nodes);
    }

    @Override
    public String target() {
        return "kind";
    }

    @Override
    public Optional<String> unsupported(Capability capability) {
        if (capability == Capability.STOP_API_SERVER) {
            return clusters.values().stream().map(c -> nodes.unavailable(c.kindName())).flatMap(Optional::stream).findFirst();
        }
        if (capability == Capability.CA_FILES) {
            return KindCaFiles.missingRoot(pki);
        }
        return Optional.ofNullable(reason(capability));
    }

    /**
     * Writes the CA files {@code isthmus ca issue-intermediate} put in {@code dir} into cluster
     * {@code cluster}'s {@code cacerts} Secret (see {@link KindCaFiles}); its controller re-reads them
     * once the kubelet has refreshed the mounted Secret.
     */
    @Override
    public void writeCaFiles(String cluster, java.nio.file.Path dir) {
        KindCaFiles.write(cluster(cluster), dir);
    }

    /** up.sh's PKI directory on this host, which holds the mesh root and its key ({@link KindCaFiles#operatorPki}). */
    @Override
    public java.nio.file.Path caRootDir() {
        return pki;
    }

    /** up.sh's {@code <work>/pki/<cluster>}: the operator's copy of the cluster's CA files. */
    @Override
    public java.nio.file.Path caFilesDir(String cluster) {
        return pki.resolve(cluster(cluster).name());
    }

    /** Uses {@code dir} as the operator's PKI directory instead of up.sh's. */
    void caRootDir(java.nio.file.Path dir) {
        this.pki = dir;
    }

    /** How long to wait for pods, controllers, gateways and API servers. */
    Duration readyTimeout() {
        return options.readyTimeout();
    }

    /** The Docker host's kind node containers. */
    KindNodes nodes() {
        return nodes;
    }

    /** Why kind cannot do {@code c}, or null. */
    static String reason(Capability c) {
        return switch (c) {
            case STOP_API_SERVER -> "stopping a kind API server needs docker exec into its control-plane node container "
                    + "(see KindNodes): the driver asks docker when a scenario needs it";
            case NETWORK_SANDBOX -> "these checks are of the local runner's network namespaces (the driver's isolated "
                    + "namespace, one namespace per pod, their routes); kind's pod networks are docker's and kindnet's";
            case CA_FILES -> "rotating the root needs the operator's root key: up.sh's PKI directory on this host (-D"
                    + KindCaFiles.PKI_PROPERTY + ", else $ISTHMUS_KIND_WORK/pki, else .isthmus/kind/pki at the repository root)";
            case EDGES -> "kind-tests/kind/up.sh installs two-clusters-multi-network.yaml or three-clusters-primary-remote.yaml: "
                    + "no ingress or egress gateway, "
                    + "no outside client, no external services";
            case TRANSPARENT_CAPTURE -> "the kind manifests inject the sidecar in capture mode NONE (DNS proxy, no init container "
                    + "running isthmus iptables, no NET_ADMIN for the proxy's transparent sockets), and the driver has no server "
                    + "inside the clusters' pod network for passthrough calls";
        };
    }

    @Override
    public KindCluster cluster(String name) {
        KindCluster c = clusters.get(name);
        if (c == null) {
            throw new IllegalArgumentException("no cluster named '" + name + "' (clusters: " + clusters.keySet() + ")");
        }
        return c;
    }

    @Override
    public List<KindCluster> clusters() {
        return List.copyOf(clusters.values());
    }

    @Override
    public KindPod pod(String cluster, String service) {
        return cluster(cluster).pods(service).stream().findFirst().orElseThrow(
                () -> new IllegalArgumentException("no ready pod of " + service + " in " + cluster));
    }

    /**
     * Kills a pod: its Deployment is scaled down by one (so it is not replaced) and the pod deleted
     * with no grace period. {@code endpointDelay} is the local runner's: here the endpoint
     * controller removes the endpoint itself.
     */
    @Override
    public void kill(MeshPod pod, Duration endpointDelay) {
        KindPod p = kindPod(pod);
        KindCluster c = cluster(p.cluster());
        Pod object = c.client().pods().inNamespace(p.namespace()).withName(p.name()).get();
        if (object == null) {
            throw new IllegalStateException("pod " + p + " does not exist");
        }
        ownerDeployment(c, object).ifPresent(d -> {
            int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
            scale(c, d.getMetadata().getNamespace(), d.getMetadata().getName(), Math.max(0, replicas - 1));
        });
        forceDelete(c, object);
        forwards.drop(p);
        LOG.info("pod killed [{}]", p);
    }

    @Override
    public KindPod startPod(String service, String cluster, String zone, String version) {
        KindCluster c = cluster(cluster);
        List<Deployment> candidates = c.deployments(Map.of(MeshLabels.APP, service, MeshLabels.VERSION, version));
        if (candidates.size() != 1) {
            throw new IllegalArgumentException("cluster " + cluster + " has " + candidates.size() + " Deployments labelled app="
                    + service + ",version=" + version + " (want one, as in topology-configs/manifests/demo)");
        }
        Deployment d = candidates.get(0);
        String ns = d.getMetadata().getNamespace();
        String name = d.getMetadata().getName();
        Map<String, String> nodeSelector = Optional.ofNullable(d.getSpec().getTemplate().getSpec().getNodeSelector()).orElse(Map.of());
        List<String> zones = c.zonesOf(nodeSelector);
        if (!zones.contains(zone)) {
            throw new IllegalArgumentException("Deployment " + ns + "/" + name + " of " + cluster + " places pods in zone(s) "
                    + zones + " (nodeSelector " + nodeSelector + "), not in " + zone);
        }
        Map<String, String> selector = d.getSpec().getSelector().getMatchLabels();
        Set<String> before = new HashSet<>(c.client().pods().inNamespace(ns).withLabels(selector).list().getItems().stream()
                .map(p -> p.getMetadata().getName()).toList());
        Deployment now = c.client().apps().deployments().inNamespace(ns).withName(name).get();
        int replicas = now.getSpec().getReplicas() == null ? 1 : now.getSpec().getReplicas();
        scale(c, ns, name, replicas + 1);
        KindPod started = Poll.until("a new pod of " + ns + "/" + name + " in " + cluster + " Ready and serving", options.readyTimeout(),
                () -> {
                    Map<String, String> z = nodeZones();
                    return c.client().pods().inNamespace(ns).withLabels(selector).list().getItems().stream()
                            .filter(p -> !before.contains(p.getMetadata().getName())).filter(KindCluster::ready)
                            .map(p -> c.pod(p, z)).filter(controlReady).findFirst();
                });
        LOG.info("pod started [{}] zone {}", started, started.zone());
        return started;
    }

    @Override
    public void createRemoteSecret(String holder, String of) {
        KindCluster o = cluster(of);
        String server = Optional.ofNullable(options.apiServers().get(of)).or(o::controlPlaneServer).orElseThrow(
                () -> new IllegalStateException("no API server URL for " + of + ": give -D" + KindOptions.SERVERS
                        + " or label its control-plane node " + KindCluster.CONTROL_PLANE_LABEL));
        Secret s = RemoteSecrets.remoteSecret(of, RemoteSecrets.flatten(kubeconfig, o.context(), of, server), MeshLabels.SYSTEM_NAMESPACE);
        cluster(holder).client().secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).resource(s).createOr(NonDeletingOperation::update);
        LOG.info("remote secret [{}] holds {} at {}", holder, of, server);
    }

    @Override
    public void deleteRemoteSecret(String holder, String of) {
        cluster(holder).client().secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(RemoteSecrets.NAME_PREFIX + of).delete();
        LOG.info("remote secret deleted [{}] no longer holds {}", holder, of);
    }

    @Override
    public void killController(String cluster) {
        KindCluster c = cluster(cluster);
        Deployment d = controller(c);
        int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        if (replicas > 0) {
            controllerReplicas.put(cluster, replicas);
        }
        scale(c, MeshLabels.SYSTEM_NAMESPACE, CONTROLLER, 0);
        for (Pod p : c.client().pods().inNamespace(MeshLabels.SYSTEM_NAMESPACE)
                .withLabels(d.getSpec().getSelector().getMatchLabels()).list().getItems()) {
            forceDelete(c, p);
        }
        LOG.info("controller killed [{}]", cluster);
    }

    @Override
    public void restartController(String cluster) {
        KindCluster c = cluster(cluster);
        Deployment d = controller(c);
        int replicas = controllerReplicas.getOrDefault(cluster, 1);
        scale(c, MeshLabels.SYSTEM_NAMESPACE, CONTROLLER, replicas);
        Poll.until(replicas + " Ready controller pod(s) in " + c, options.readyTimeout(), () -> {
            long ready = c.client().pods().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withLabels(d.getSpec().getSelector().getMatchLabels())
                    .list().getItems().stream().filter(KindCluster::ready).count();
            return ready >= replicas ? Optional.of(ready) : Optional.empty();
        });
        LOG.info("controller restarted [{}]", cluster);
    }

    private static Deployment controller(KindCluster c) {
        Deployment d = c.client().apps().deployments().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(CONTROLLER).get();
        if (d == null) {
            throw new IllegalStateException("cluster " + c.name() + " runs no controller (no Deployment "
                    + MeshLabels.SYSTEM_NAMESPACE + "/" + CONTROLLER + ")");
        }
        return d;
    }

    @Override
    public KindGateway gateway(String network) {
        return clusters.values().stream().filter(c -> c.network().equals(network))
                .filter(c -> c.client().apps().deployments().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(GATEWAY).get() != null)
                .findFirst().map(KindGateway::new).orElse(null);
    }

    /**
     * The lifetime the demo pods' sidecars ask for: {@value #CERT_TTL_ENV} of their
     * {@value #PROXY_CONTAINER} container (which the image's launcher passes as {@code --cert-ttl};
     * up.sh sets it), else the sidecar's default of 24 h.
     */
    @Override
    public Duration workloadCertTtl() {
        for (KindCluster c : clusters.values()) {
            for (Deployment d : c.client().apps().deployments().inAnyNamespace().withLabel(MeshLabels.APP).list().getItems()) {
                for (Container k : d.getSpec().getTemplate().getSpec().getContainers()) {
                    if (PROXY_CONTAINER.equals(k.getName()) && k.getEnv() != null) {
                        for (EnvVar e : k.getEnv()) {
                            if (CERT_TTL_ENV.equals(e.getName()) && e.getValue() != null && !e.getValue().isBlank()) {
                                return duration(e.getValue());
                            }
                        }
                    }
                }
            }
        }
        return DEFAULT_CERT_TTL;
    }

    /** Parses the sidecar's {@code --cert-ttl} form: {@code 90s}, {@code 30m}, {@code 24h}. */
    static Duration duration(String text) {
        String t = text.trim();
        if (t.length() < 2) {
            throw new IllegalArgumentException(CERT_TTL_ENV + ": '" + text + "' is not a duration like 120s, 30m or 24h");
        }
        long n;
        try {
            n = Long.parseLong(t.substring(0, t.length() - 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(CERT_TTL_ENV + ": '" + text + "' is not a duration like 120s, 30m or 24h", e);
        }
        return switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException(CERT_TTL_ENV + ": '" + text + "' is not a duration like 120s, 30m or 24h");
        };
    }

    /** Node name → zone of every node of every cluster (kind names nodes after their cluster, so names do not clash). */
    Map<String, String> nodeZones() {
        Map<String, String> z = nodeZones;
        if (z == null) {
            Map<String, String> m = new LinkedHashMap<>();
            clusters.values().forEach(c -> m.putAll(c.nodeZones()));
            z = Map.copyOf(m);
            nodeZones = z;
        }
        return z;
    }

    PortForwards forwards() {
        return forwards;
    }

    private static KindPod kindPod(MeshPod pod) {
        if (!(pod instanceof KindPod p)) {
            throw new IllegalArgumentException("not a pod of the kind clusters: " + pod);
        }
        return p;
    }

    /** The Deployment whose selector matches the pod's labels, if any. */
    static Optional<Deployment> ownerDeployment(KindCluster c, Pod pod) {
        Map<String, String> labels = Optional.ofNullable(pod.getMetadata().getLabels()).orElse(Map.of());
        return c.client().apps().deployments().inNamespace(pod.getMetadata().getNamespace()).list().getItems().stream()
                .filter(d -> d.getSpec().getSelector() != null && d.getSpec().getSelector().getMatchLabels() != null)
                .filter(d -> labels.entrySet().containsAll(d.getSpec().getSelector().getMatchLabels().entrySet()))
                .findFirst();
    }

    /** Sets a Deployment's replicas (a merge patch of {@code spec.replicas}, as {@code kubectl scale} would). */
    static void scale(KindCluster c, String namespace, String name, int replicas) {
        c.client().apps().deployments().inNamespace(namespace).withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"replicas\":" + replicas + "}}");
        LOG.info("scaled [{}] {}/{} to {}", c.name(), namespace, name, replicas);
    }

    /** Deletes a pod with no grace period (its containers are killed at once). */
    static void forceDelete(KindCluster c, Pod p) {
        c.client().pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName()).withGracePeriod(0).delete();
    }

    @Override
    public void close() {
        forwards.close();
        clusters.values().forEach(c -> c.client().close());
    }
}
