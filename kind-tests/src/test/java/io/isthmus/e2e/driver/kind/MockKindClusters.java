package io.isthmus.e2e.driver.kind;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.isthmus.mesh.MeshLabels;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kind-like clusters on fabric8 mock API servers (CRUD mode, HTTPS, loopback) seeded with what
 * {@code kind-tests/kind/up.sh} installs: a control-plane node and two zoned workers, the
 * {@code isthmus-cluster} ConfigMap, the controller and east-west gateway Deployments, and demo
 * Deployments with one Ready pod each. Nothing here runs pods: tests play the kubelet.
 */
final class MockKindClusters implements AutoCloseable {
    private final Map<String, KubernetesMockServer> servers = new LinkedHashMap<>();
    private final Map<String, KubernetesClient> admin = new LinkedHashMap<>();
    private int podSeq;

    /** Starts one mock API server per cluster name. */
    MockKindClusters(String... clusters) {
        for (String c : clusters) {
            KubernetesMockServer s = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                    new KubernetesCrudDispatcher(List.of(new CustomResourceDefinitionContext.Builder()
                            .withGroup("networking.istio.io").withVersion("v1").withKind("VirtualService").withPlural("virtualservices")
                            .withScope("Namespaced").withName("virtualservices.networking.istio.io").build())), true);
            s.init(InetAddress.getLoopbackAddress(), 0);
            servers.put(c, s);
            admin.put(c, s.createClient());
        }
    }

    /** Stops a cluster's mock API server (its port stays reserved for {@link #restart}). */
    void stop(String cluster) {
        servers.get(cluster).destroy();
    }

    /** Starts a new, empty mock API server on the stopped one's port. */
    void restart(String cluster) {
        int port = servers.get(cluster).getPort();
        KubernetesMockServer s = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of()), true);
        s.init(InetAddress.getLoopbackAddress(), port);
        servers.put(cluster, s);
    }

    /** The admin client of a cluster (what the test's kubelet uses). */
    KubernetesClient client(String cluster) {
        return admin.get(cluster);
    }

    /** A kubeconfig with one context {@code kind-<cluster>} per cluster. */
    String kubeconfig() {
        StringBuilder clusters = new StringBuilder();
        StringBuilder contexts = new StringBuilder();
        StringBuilder users = new StringBuilder();
        servers.forEach((c, s) -> {
            clusters.append("- name: kind-").append(c).append("\n  cluster:\n    server: https://127.0.0.1:").append(s.getPort())
                    .append("\n    insecure-skip-tls-verify: true\n");
            contexts.append("- name: kind-").append(c).append("\n  context:\n    cluster: kind-").append(c)
                    .append("\n    user: kind-").append(c).append('\n');
            users.append("- name: kind-").append(c).append("\n  user:\n    token: token-").append(c).append('\n');
        });
        return "apiVersion: v1\nkind: Config\nclusters:\n" + clusters + "contexts:\n" + contexts + "users:\n" + users
                + "current-context: kind-" + servers.keySet().iterator().next() + "\n";
    }

    /** Writes {@link #kubeconfig()} to a file. */
    Path kubeconfigFile(Path dir) throws java.io.IOException {
        return Files.writeString(dir.resolve("kubeconfig"), kubeconfig());
    }

    /** Seeds what up.sh installs in {@code cluster} (region {@code region}: zones region-1a and region-1b). */
    void install(String cluster, String region, String controlPlaneIp) {
        install(cluster, region, controlPlaneIp, true);
    }

    /** Seeds a cluster as up.sh installs it; a remote cluster ({@code controller} false) has no controller Deployment. */
    void install(String cluster, String region, String controlPlaneIp, boolean controller) {
        KubernetesClient k = client(cluster);
        k.nodes().resource(new NodeBuilder().withNewMetadata().withName(cluster + "-control-plane")
                .withLabels(Map.of(KindCluster.CONTROL_PLANE_LABEL, "")).endMetadata()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress(controlPlaneIp).endAddress().endStatus().build()).create();
        worker(k, cluster + "-worker", region + "-1a", "a");
        worker(k, cluster + "-worker2", region + "-1b", "b");
        k.configMaps().inNamespace(MeshLabels.SYSTEM_NAMESPACE).resource(new ConfigMapBuilder().withNewMetadata()
                .withName(KindCluster.CLUSTER_CONFIGMAP).withNamespace(MeshLabels.SYSTEM_NAMESPACE).endMetadata()
                .withData(Map.of("cluster", cluster, "network", "network-" + cluster)).build()).create();
        if (controller) {
            deployment(cluster, MeshLabels.SYSTEM_NAMESPACE, KindFederation.CONTROLLER, Map.of("app", KindFederation.CONTROLLER),
                    Map.of(), List.of(), false);
        }
        deployment(cluster, MeshLabels.SYSTEM_NAMESPACE, KindFederation.GATEWAY, Map.of("istio", KindFederation.GATEWAY_LABEL),
                Map.of(), List.of(), true);
        k.services().inNamespace(MeshLabels.SYSTEM_NAMESPACE).resource(new ServiceBuilder().withNewMetadata()
                .withName(KindFederation.GATEWAY).withNamespace(MeshLabels.SYSTEM_NAMESPACE).endMetadata()
                .withNewSpec().withType("LoadBalancer").endSpec().build()).create();
    }

    private static void worker(KubernetesClient k, String name, String zone, String slot) {
        k.nodes().resource(new NodeBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of(MeshLabels.ZONE, zone, "isthmus.io/zone-slot", slot)).endMetadata().build()).create();
    }

    /** A demo Deployment {@code <service>-<version>} (pods on zone slot {@code slot}) with one Ready pod. */
    Deployment demo(String cluster, String service, String version, String slot, List<EnvVar> proxyEnv) {
        return deployment(cluster, "default", service + "-" + version, Map.of("app", service, "version", version),
                Map.of("isthmus.io/zone-slot", slot), proxyEnv, false);
    }

    private Deployment deployment(String cluster, String ns, String name, Map<String, String> labels, Map<String, String> nodeSelector,
                                  List<EnvVar> proxyEnv, boolean hostNetwork) {
        List<io.fabric8.kubernetes.api.model.Container> containers = new ArrayList<>();
        if (labels.containsKey("version")) {
            containers.add(new ContainerBuilder().withName("app").withPorts(new ContainerPortBuilder().withContainerPort(15080).build()).build());
            containers.add(new ContainerBuilder().withName(KindFederation.PROXY_CONTAINER).withEnv(proxyEnv).build());
        } else {
            containers.add(new ContainerBuilder().withName("main").build());
        }
        Deployment d = new DeploymentBuilder().withNewMetadata().withName(name).withNamespace(ns).withLabels(labels).endMetadata()
                .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(labels).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata().withNewSpec().withNodeSelector(nodeSelector)
                .withHostNetwork(hostNetwork).withContainers(containers).endSpec().endTemplate().endSpec().build();
        client(cluster).apps().deployments().inNamespace(ns).resource(d).create();
        String node = nodeSelector.getOrDefault("isthmus.io/zone-slot", "a").equals("b") ? cluster + "-worker2" : cluster + "-worker";
        readyPod(cluster, d, node);
        return d;
    }

    /** Plays the kubelet: a Ready pod of {@code d} on {@code node}. */
    Pod readyPod(String cluster, Deployment d, String node) {
        Pod p = new PodBuilder().withNewMetadata().withName(d.getMetadata().getName() + "-" + (++podSeq))
                .withNamespace(d.getMetadata().getNamespace()).withLabels(d.getSpec().getTemplate().getMetadata().getLabels()).endMetadata()
                .withNewSpec().withNodeName(node).withHostNetwork(d.getSpec().getTemplate().getSpec().getHostNetwork())
                .withContainers(d.getSpec().getTemplate().getSpec().getContainers()).endSpec()
                .withNewStatus().withPhase("Running").withPodIP("10.110.0." + podSeq).withHostIP("172.18.0." + (10 + podSeq))
                .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build();
        return client(cluster).pods().inNamespace(d.getMetadata().getNamespace()).resource(p).create();
    }

    @Override
    public void close() {
        admin.values().forEach(KubernetesClient::close);
        servers.values().forEach(KubernetesMockServer::destroy);
    }
}
