package io.isthmus.e2e.local;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.isthmus.e2e.topology.ClusterSpec;
import io.isthmus.e2e.topology.NodeSpec;
import io.isthmus.e2e.topology.PortSpec;
import io.isthmus.e2e.topology.ServiceSpec;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.WellKnownPorts;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Kubernetes objects the runner writes into a simulated cluster's API server, shaped as a real cluster has them. */
public final class KubeObjects {
    /** Name and namespace of every east-west gateway Service (Istio's). */
    public static final String GATEWAY_NAME = "istio-eastwestgateway";
    /** Service account of the east-west gateways. */
    public static final String GATEWAY_SERVICE_ACCOUNT = "istio-eastwestgateway";
    /** The label every EndpointSlice has naming its Service. */
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    private KubeObjects() {
    }

    /** A node with its locality labels. */
    public static Node node(ClusterSpec cluster, NodeSpec n) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(MeshLabels.REGION, n.region());
        labels.put(MeshLabels.ZONE, n.zone());
        if (!n.subzone().isEmpty()) {
            labels.put(MeshLabels.SUBZONE, n.subzone());
        }
        labels.put(MeshLabels.NETWORK, cluster.network());
        labels.put("kubernetes.io/hostname", n.name());
        return new NodeBuilder().withNewMetadata().withName(n.name()).withLabels(labels).endMetadata()
                .withNewStatus().addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build();
    }

    /** A namespace labelled with its cluster's network (Istio's way to put a namespace on a network). */
    public static Namespace namespace(String name, String network) {
        return new NamespaceBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of(MeshLabels.NETWORK, network)).endMetadata().build();
    }

    /** A ClusterIP Service selecting {@code app=<name>}. */
    public static Service service(ServiceSpec s, String clusterIp) {
        List<ServicePort> ports = s.ports().stream().map(p -> new ServicePortBuilder().withName(p.name())
                .withPort(p.port()).withNewTargetPort(p.targetPort()).withProtocol("TCP")
                .withAppProtocol(appProtocol(p)).build()).toList();
        return new ServiceBuilder().withNewMetadata().withName(s.name()).withNamespace(s.namespace())
                .withLabels(Map.of(MeshLabels.APP, s.name())).endMetadata()
                .withNewSpec().withType("ClusterIP").withClusterIP(clusterIp).withSelector(Map.of(MeshLabels.APP, s.name()))
                .withPorts(ports).endSpec().build();
    }

    /** The east-west gateway Service of a network, announcing its public address. */
    public static Service gatewayService(String network, String publicAddress) {
        return new ServiceBuilder().withNewMetadata().withName(GATEWAY_NAME).withNamespace(MeshLabels.SYSTEM_NAMESPACE)
                .withLabels(Map.of("istio", "eastwestgateway", MeshLabels.NETWORK, network, MeshLabels.APP, GATEWAY_NAME))
                .endMetadata()
                .withNewSpec().withType("LoadBalancer").withSelector(Map.of("istio", "eastwestgateway"))
                .addToPorts(new ServicePortBuilder().withName("tls").withPort(WellKnownPorts.EAST_WEST_PASSTHROUGH)
                        .withNewTargetPort(WellKnownPorts.EAST_WEST_PASSTHROUGH).withProtocol("TCP").build())
                .addToPorts(new ServicePortBuilder().withName("tls-istiod").withPort(WellKnownPorts.XDS_SECURE)
                        .withNewTargetPort(WellKnownPorts.XDS_SECURE).withProtocol("TCP").build())
                .endSpec()
                .withNewStatus().withNewLoadBalancer().addNewIngress().withIp(publicAddress).endIngress().endLoadBalancer()
                .endStatus().build();
    }

    /** A running pod; {@code ready} sets its Ready condition. */
    public static Pod pod(PodRecord p, boolean ready) {
        return new PodBuilder().withNewMetadata().withName(p.name()).withNamespace(p.namespace())
                .withLabels(p.labels()).endMetadata()
                .withNewSpec().withNodeName(p.node()).withServiceAccountName(p.serviceAccount())
                .addNewContainer().withName("app").withImage("isthmus/demo-app").endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP(p.address()).withHostIP(p.nodeAddress())
                .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .endStatus().build();
    }

    /** The EndpointSlice of a service in one cluster holding these pods' endpoints. */
    public static EndpointSlice endpointSlice(ServiceSpec s, List<PodRecord> pods) {
        List<Endpoint> eps = pods.stream().map(p -> new EndpointBuilder().withAddresses(p.address())
                .withNewConditions().withReady(p.ready()).withServing(p.ready()).withTerminating(false).endConditions()
                .withNodeName(p.node()).withZone(p.zone())
                .withNewTargetRef().withKind("Pod").withName(p.name()).withNamespace(p.namespace()).endTargetRef()
                .build()).toList();
        List<EndpointPort> ports = s.ports().stream().map(p -> new EndpointPortBuilder().withName(p.name())
                .withPort(p.targetPort()).withProtocol("TCP").withAppProtocol(appProtocol(p)).build()).toList();
        return new EndpointSliceBuilder().withNewMetadata().withName(s.name() + "-local").withNamespace(s.namespace())
                .withLabels(Map.of(SERVICE_NAME_LABEL, s.name(), "endpointslice.kubernetes.io/managed-by", "isthmus-local"))
                .endMetadata()
                .withAddressType("IPv4").withEndpoints(eps).withPorts(ports).build();
    }

    private static String appProtocol(PortSpec p) {
        return switch (p.protocol()) {
            case HTTP -> "http";
            case GRPC -> "grpc";
            case TCP -> "tcp";
            case HTTPS -> "https";
        };
    }
}
