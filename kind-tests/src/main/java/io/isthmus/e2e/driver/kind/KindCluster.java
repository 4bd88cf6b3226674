package io.isthmus.e2e.driver.kind;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.isthmus.e2e.demo.ControlServer;
import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.ControllerPorts;
import io.isthmus.e2e.driver.MeshCluster;
import io.isthmus.e2e.driver.TargetUnsupportedException;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.WellKnownPorts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.cert.X509Certificate;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One kind cluster: its kubeconfig context, the client of its API server, its name and network
 * (from the {@code isthmus-cluster} ConfigMap that the manifests' overlay writes into
 * {@code isthmus-system}), and its demo pods (pods with the control port {@link ControlServer#PORT}).
 */
public final class KindCluster implements MeshCluster {
    /** The ConfigMap in {@code isthmus-system} naming the cluster and its network (manifests/overlays). */
    public static final String CLUSTER_CONFIGMAP = "isthmus-cluster";
    /** The label kubeadm puts on control-plane nodes. */
    static final String CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";
    private static final Logger LOG = LoggerFactory.getLogger(KindCluster.class);

    private final KindFederation federation;
    private final String context;
    private final String name;
    private final String network;
    private final KubernetesClient client;

    private KindCluster(KindFederation federation, String context, String name, String network, KubernetesClient client) {
        this.federation = federation;
        this.context = context;
        this.name = name;
        this.network = network;
        this.client = client;
    }

    /**
     * The cluster behind {@code context}: named by its {@code isthmus-cluster} ConfigMap, or, when the
     * cluster has none yet, by the context without kind's {@code kind-} prefix on network {@code network-<name>}.
     */
    static KindCluster of(KindFederation federation, String context, KubernetesClient client) {
        ConfigMap cm = client.configMaps().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(CLUSTER_CONFIGMAP).get();
        String fallback = context.startsWith("kind-") ? context.substring("kind-".length()) : context;
        Map<String, String> data = cm == null || cm.getData() == null ? Map.of() : cm.getData();
        String name = data.getOrDefault("cluster", fallback);
        return new KindCluster(federation, context, name, data.getOrDefault("network", "network-" + name), client);
    }

    @Override
    public String name() {
        return name;
    }

    /** Its network. */
    public String network() {
        return network;
    }

    /** Its kubeconfig context. */
    public String context() {
        return context;
    }

    @Override
    public KubernetesClient client() {
        return client;
    }

    KindFederation federation() {
        return federation;
    }

    @Override
    public List<KindPod> pods(String service) {
        return demoPods(client.pods().inAnyNamespace().withLabel(MeshLabels.APP, service).list().getItems());
    }

    @Override
    public List<KindPod> pods() {
        return demoPods(client.pods().inAnyNamespace().withLabel(MeshLabels.APP).list().getItems());
    }

    private List<KindPod> demoPods(List<Pod> items) {
        Map<String, String> zones = federation.nodeZones();
        return items.stream().filter(KindCluster::ready).filter(KindCluster::hasControlPort)
                .sorted(Comparator.comparing((Pod p) -> p.getMetadata().getName()))
                .map(p -> pod(p, zones)).toList();
    }

    KindPod pod(Pod p, Map<String, String> zones) {
        String node = p.getSpec() == null ? "" : Objects.requireNonNullElse(p.getSpec().getNodeName(), "");
        boolean sidecar = p.getSpec() != null && p.getSpec().getContainers() != null
                && p.getSpec().getContainers().stream().anyMatch(c -> KindFederation.PROXY_CONTAINER.equals(c.getName()));
        return new KindPod(this, p.getMetadata().getNamespace(), p.getMetadata().getName(), node, zones.getOrDefault(node, ""),
                p.getStatus() == null ? "" : p.getStatus().getPodIP(), sidecar);
    }

    /**
     * Whether a controller runs here: a primary of the topology does, a remote cluster does not;
     * without a topology file, whether the controller's Deployment exists.
     */
    @Override
    public boolean runsController() {
        return federation.primary(name).orElseGet(() -> client.apps().deployments().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(KindFederation.CONTROLLER).get() != null);
    }

    /** Its kind cluster name (the context without kind's {@code kind-} prefix): its node containers are {@code <kindName>-...}. */
    String kindName() {
        return context.startsWith("kind-") ? context.substring("kind-".length()) : context;
    }

    /**
     * Stops its API server: the kube-apiserver static pod manifest is moved out of the control-plane
     * node container's manifest directory (docker exec; etcd keeps the objects), then the API server
     * is awaited unreachable.
     *
     * @throws TargetUnsupportedException when docker or the node container does not answer here
     */
    @Override
    public void stopApiServer() {
        KindNodes nodes = federation.nodes();
        nodes.unavailable(kindName()).ifPresent(reason -> {
            throw new TargetUnsupportedException("kind", Capability.STOP_API_SERVER, reason);
        });
        nodes.stopApiServer(kindName());
        Poll.until("the API server of " + name + " to stop", federation.readyTimeout(), () -> apiServerAnswers() ? Optional.empty()
                : Optional.of(true));
        LOG.info("API server stopped [{}]", name);
    }

    /** Starts its API server again (the manifest moved back) and waits until it answers. */
    @Override
    public void restartApiServer() {
        federation.nodes().startApiServer(kindName());
        Poll.until("the API server of " + name + " to answer again", federation.readyTimeout(),
                () -> apiServerAnswers() ? Optional.of(true) : Optional.empty());
        LOG.info("API server restarted [{}]", name);
    }

    private boolean apiServerAnswers() {
        try {
            client.namespaces().withName("default").get();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The HTTP status of GET {@code path} on its controller's monitoring port (15014) through a
     * port-forward to a Ready controller pod, 0 when none answers.
     */
    @Override
    public int controllerStatus(String path) {
        return controllerPod().map(p -> PortForwards.status(client, p, WellKnownPorts.CONTROLLER_MONITORING, path)).orElse(0);
    }

    /** GET {@code pathAndQuery} on 15014 of a Ready controller pod through a port-forward; throws unless it answers 200. */
    @Override
    public String controllerGet(String pathAndQuery) {
        Pod p = controllerPod().orElseThrow(() -> new IllegalStateException("no Ready controller pod in " + name));
        return PortForwards.through(client, p, WellKnownPorts.CONTROLLER_MONITORING, port -> ControllerPorts.get("127.0.0.1", port,
                pathAndQuery, "controller " + p.getMetadata().getName() + " of " + name));
    }

    /** The chain a Ready controller pod presents on 15012, read through a port-forward. */
    @Override
    public List<X509Certificate> controllerServingChain() {
        Pod p = controllerPod().orElseThrow(() -> new IllegalStateException("no Ready controller pod in " + name));
        return PortForwards.through(client, p, WellKnownPorts.XDS_SECURE, port -> ControllerPorts.servingChain("127.0.0.1", port,
                "controller " + p.getMetadata().getName() + " of " + name));
    }

    /** A Ready controller pod here, if any. */
    Optional<Pod> controllerPod() {
        return client.pods().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withLabel("app", KindFederation.CONTROLLER)
                .list().getItems().stream().filter(KindCluster::ready).findFirst();
    }

    /** Node name → {@code topology.kubernetes.io/zone} of every node here. */
    Map<String, String> nodeZones() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Node n : client.nodes().list().getItems()) {
            Map<String, String> labels = n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
            m.put(n.getMetadata().getName(), labels.getOrDefault(MeshLabels.ZONE, ""));
        }
        return m;
    }

    /** The zones of the nodes whose labels include {@code selector} (a pod template's nodeSelector). */
    List<String> zonesOf(Map<String, String> selector) {
        return client.nodes().list().getItems().stream()
                .filter(n -> n.getMetadata().getLabels() != null && n.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                .filter(n -> selector.isEmpty() || !n.getMetadata().getLabels().containsKey(CONTROL_PLANE_LABEL))
                .map(n -> n.getMetadata().getLabels().getOrDefault(MeshLabels.ZONE, "")).distinct().toList();
    }

    /**
     * The API server URL the other clusters reach this one at: its control-plane node's InternalIP
     * on 6443 (on kind, the node container's address on the shared docker network).
     */
    Optional<String> controlPlaneServer() {
        return client.nodes().withLabel(CONTROL_PLANE_LABEL).list().getItems().stream()
                .flatMap(n -> n.getStatus() == null || n.getStatus().getAddresses() == null ? java.util.stream.Stream.<NodeAddress>empty()
                        : n.getStatus().getAddresses().stream())
                .filter(a -> "InternalIP".equals(a.getType())).map(a -> "https://" + a.getAddress() + ":6443").findFirst();
    }

    /** The Deployments of a namespace (any when null) whose labels include {@code labels}. */
    List<Deployment> deployments(Map<String, String> labels) {
        return client.apps().deployments().inAnyNamespace().withLabels(labels).list().getItems();
    }

    /** Whether a pod runs, is Ready and is not being deleted. */
    static boolean ready(Pod p) {
        return p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase())
                && p.getStatus().getConditions() != null
                && p.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static boolean hasControlPort(Pod p) {
        return p.getSpec() != null && p.getSpec().getContainers() != null && p.getSpec().getContainers().stream()
                .flatMap(c -> c.getPorts() == null ? java.util.stream.Stream.<ContainerPort>empty() : c.getPorts().stream())
                .anyMatch(port -> port.getContainerPort() != null && port.getContainerPort() == ControlServer.PORT);
    }

    @Override
    public String toString() {
        return name + " (context " + context + ", " + network + ")";
    }
}
