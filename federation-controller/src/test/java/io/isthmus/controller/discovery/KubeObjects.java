package io.isthmus.controller.discovery;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.isthmus.mesh.MeshLabels;
import java.util.List;
import java.util.Map;

/** Builders of the Kubernetes objects a test cluster holds, and a small seeding DSL. */
public final class KubeObjects {

    private KubeObjects() {
    }

    public static Node node(String name, String region, String zone) {
        return new NodeBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of(MeshLabels.REGION, region, MeshLabels.ZONE, zone)).endMetadata().build();
    }

    public static Namespace namespace(String name, Map<String, String> labels) {
        return new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build();
    }

    public static Pod pod(String ns, String name, String ip, String node, String sa, Map<String, String> labels) {
        return new PodBuilder(appOnlyPod(ns, name, ip, node, sa, labels)).editSpec()
                .addNewContainer().withName("isthmus-proxy").withImage("isthmus/isthmus:dev").endContainer().endSpec().build();
    }

    /** A running pod of one app container and no sidecar. */
    public static Pod appOnlyPod(String ns, String name, String ip, String node, String sa, Map<String, String> labels) {
        return new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withNodeName(node).withServiceAccountName(sa)
                .addNewContainer().withName("app").withImage("example/app").endContainer().endSpec()
                .withNewStatus().withPodIP(ip).endStatus().build();
    }

    /** A ClusterIP service with one port named {@code http} (port → targetPort). */
    public static Service service(String ns, String name, int port, int targetPort) {
        return new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().addNewPort().withName("http").withPort(port)
                .withTargetPort(new IntOrString(targetPort)).withProtocol("TCP").endPort().endSpec().build();
    }

    /** The east-west gateway Service of a network. */
    public static Service gatewayService(String network, String ip) {
        return new ServiceBuilder().withNewMetadata().withNamespace(MeshLabels.SYSTEM_NAMESPACE)
                .withName("isthmus-eastwestgateway")
                .withLabels(Map.of("istio", "eastwestgateway", MeshLabels.NETWORK, network)).endMetadata()
                .withNewSpec().withType("LoadBalancer").addNewPort().withName("tls").withPort(15443).endPort().endSpec()
                .withNewStatus().withNewLoadBalancer().addNewIngress().withIp(ip).endIngress().endLoadBalancer()
                .endStatus().build();
    }

    /** One slice of a service: pods as {@code name=ip} pairs, all with the given readiness. */
    public static EndpointSlice slice(String ns, String service, String sliceName, int port, boolean ready,
                                      Map<String, String> podsToIps) {
        EndpointSliceBuilder b = new EndpointSliceBuilder().withNewMetadata().withNamespace(ns).withName(sliceName)
                .withLabels(Map.of(KubeServiceAssembler.SERVICE_NAME_LABEL, service)).endMetadata()
                .withAddressType("IPv4").addNewPort().withName("http").withPort(port).withProtocol("TCP").endPort();
        podsToIps.forEach((pod, ip) -> b.addToEndpoints(new EndpointBuilder().withAddresses(List.of(ip))
                .withNewConditions().withReady(ready).endConditions()
                .withNewTargetRef().withKind("Pod").withNamespace(ns).withName(pod).endTargetRef().build()));
        return b.build();
    }

    /** Seeds a cluster with two zones' nodes, the default namespace and {@code reviews} with one pod per zone. */
    public static void seedReviews(KubernetesClient c, String region, String ipPrefix) {
        c.nodes().resource(node("node-a", region, region + "-a")).create();
        c.nodes().resource(node("node-b", region, region + "-b")).create();
        c.namespaces().resource(namespace("default", Map.of())).create();
        c.pods().resource(pod("default", "reviews-1", ipPrefix + ".11", "node-a", "reviews",
                Map.of("app", "reviews", "version", "v1"))).create();
        c.pods().resource(pod("default", "reviews-2", ipPrefix + ".12", "node-b", "reviews",
                Map.of("app", "reviews", "version", "v2"))).create();
        c.services().resource(service("default", "reviews", 9080, 9080)).create();
        c.discovery().v1().endpointSlices().resource(slice("default", "reviews", "reviews-abc", 9080, true,
                Map.of("reviews-1", ipPrefix + ".11", "reviews-2", ipPrefix + ".12"))).create();
    }
}
