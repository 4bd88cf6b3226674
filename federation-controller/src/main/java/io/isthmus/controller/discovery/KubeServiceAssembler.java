package io.isthmus.controller.discovery;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.WellKnownPorts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Turns one cluster's Kubernetes objects into registry records: a Service plus its EndpointSlices,
 * Pods, Nodes and Namespace into a {@link ClusterService}, and an east-west gateway Service into a
 * {@link NetworkGateway}. Pure: no I/O, no state.
 *
 * @param cluster the cluster name written into every endpoint
 * @param defaultNetwork the network of endpoints whose pod and namespace carry no network label
 */
public record KubeServiceAssembler(String cluster, String defaultNetwork) {

    /** Label selecting east-west gateway Services (with {@code topology.istio.io/network}). */
    public static final String GATEWAY_LABEL = "istio";
    /** Value of {@link #GATEWAY_LABEL} on east-west gateway Services. */
    public static final String GATEWAY_LABEL_VALUE = "eastwestgateway";
    /** Name of the gateway Service port that carries mTLS passthrough. */
    public static final String GATEWAY_PORT_NAME = "tls";
    /** The label EndpointSlices carry naming their Service. */
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    public KubeServiceAssembler {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(defaultNetwork, "defaultNetwork");
    }

    /** Lookups into the cluster's caches; each returns null when the object is not known. */
    public record Lookups(Function<String, Pod> podByNamespacedName, Function<String, Pod> podByIp,
                          Function<String, Node> nodeByName, Function<String, Namespace> namespaceByName) {
    }

    /** Builds a service's view in this cluster from its Service object and EndpointSlices. */
    public ClusterService assemble(Service svc, List<EndpointSlice> slices, Lookups lookups) {
        String ns = svc.getMetadata().getNamespace();
        String name = svc.getMetadata().getName();
        List<ServicePort> ports = new ArrayList<>();
        if (svc.getSpec() != null && svc.getSpec().getPorts() != null) {
            for (io.fabric8.kubernetes.api.model.ServicePort p : svc.getSpec().getPorts()) {
                if (p.getPort() == null || "UDP".equalsIgnoreCase(p.getProtocol())
                        || "SCTP".equalsIgnoreCase(p.getProtocol())) {
                    continue;
                }
                String portName = p.getName() == null ? "" : p.getName();
                IntOrString target = p.getTargetPort();
                int targetPort = target == null ? p.getPort()
                        : target.getIntVal() != null ? target.getIntVal() : 0;
                ports.add(new ServicePort(portName, p.getPort(), targetPort, Protocol.of(portName, p.getAppProtocol())));
            }
        }
        Namespace namespace = lookups.namespaceByName().apply(ns);
        Map<String, WorkloadEndpoint> endpoints = new LinkedHashMap<>();
        for (EndpointSlice slice : slices) {
            if (slice.getAddressType() != null && "FQDN".equals(slice.getAddressType())) {
                continue;
            }
            Map<String, Integer> slicePorts = new HashMap<>();
            if (slice.getPorts() != null) {
                for (EndpointPort ep : slice.getPorts()) {
                    if (ep.getPort() != null && !"UDP".equalsIgnoreCase(ep.getProtocol())) {
                        slicePorts.put(ep.getName() == null ? "" : ep.getName(), ep.getPort());
                    }
                }
            }
            if (slice.getEndpoints() == null) {
                continue;
            }
            for (Endpoint ep : slice.getEndpoints()) {
                if (ep.getAddresses() == null) {
                    continue;
                }
                for (String address : ep.getAddresses()) {
                    WorkloadEndpoint we = endpoint(ns, address, ep, slicePorts, namespace, lookups);
                    WorkloadEndpoint prev = endpoints.get(address);
                    // The same address in two slices (during slice rotation): ready wins.
                    if (prev == null || prev.health() != EndpointHealth.HEALTHY) {
                        endpoints.put(address, we);
                    }
                }
            }
        }
        return new ClusterService(cluster, ns, name, MeshLabels.serviceHostname(name, ns), ports, labels(svc),
                new ArrayList<>(endpoints.values()), vips(svc));
    }

    /**
     * A Service's ClusterIPs: {@code spec.clusterIPs} (dual stack, primary family first), else
     * {@code spec.clusterIP}; none for a headless Service ({@code None}) or one without an address
     * yet. Values that are no IP literal are left out.
     */
    static List<String> vips(Service svc) {
        if (svc.getSpec() == null) {
            return List.of();
        }
        List<String> candidates = new ArrayList<>();
        if (svc.getSpec().getClusterIPs() != null) {
            candidates.addAll(svc.getSpec().getClusterIPs());
        }
        if (candidates.isEmpty() && svc.getSpec().getClusterIP() != null) {
            candidates.add(svc.getSpec().getClusterIP());
        }
        List<String> out = new ArrayList<>();
        for (String c : candidates) {
            String v = c == null ? "" : c.trim();
            if (ClusterService.isIpLiteral(v) && !out.contains(v)) {
                out.add(v);
            }
        }
        return out;
    }

    private WorkloadEndpoint endpoint(String ns, String address, Endpoint ep, Map<String, Integer> ports,
                                      Namespace namespace, Lookups lookups) {
        Pod pod = null;
        if (ep.getTargetRef() != null && "Pod".equals(ep.getTargetRef().getKind()) && ep.getTargetRef().getName() != null) {
            String podNs = ep.getTargetRef().getNamespace() == null ? ns : ep.getTargetRef().getNamespace();
            pod = lookups.podByNamespacedName().apply(podNs + "/" + ep.getTargetRef().getName());
        }
        if (pod == null) {
            pod = lookups.podByIp().apply(address);
        }
        boolean ready = ep.getConditions() == null || ep.getConditions().getReady() == null
                || ep.getConditions().getReady();
        String nodeName = ep.getNodeName();
        if (nodeName == null && pod != null && pod.getSpec() != null) {
            nodeName = pod.getSpec().getNodeName();
        }
        Node node = nodeName == null ? null : lookups.nodeByName().apply(nodeName);
        Locality locality = locality(node, ep.getZone());
        Map<String, String> podLabels = pod == null ? Map.of() : withTlsMode(pod, labels(pod));
        String network = podLabels.get(MeshLabels.NETWORK);
        if (network == null || network.isEmpty()) {
            network = namespace == null ? null : labels(namespace).get(MeshLabels.NETWORK);
        }
        if (network == null || network.isEmpty()) {
            network = systemNetwork(lookups);
        }
        String sa = pod == null || pod.getSpec() == null || pod.getSpec().getServiceAccountName() == null
                ? "default" : pod.getSpec().getServiceAccountName();
        String podName = pod != null ? pod.getMetadata().getName()
                : ep.getTargetRef() != null && ep.getTargetRef().getName() != null ? ep.getTargetRef().getName() : "";
        String podNs = pod != null ? pod.getMetadata().getNamespace() : ns;
        return new WorkloadEndpoint(address, ports, cluster, network, locality,
                ready ? EndpointHealth.HEALTHY : EndpointHealth.UNHEALTHY, sa, podName, podNs, podLabels);
    }

    /**
     * The pod's labels with {@link MeshLabels#TLS_MODE} as Istio's injector sets it: kept when the pod has it, else
     * {@value MeshLabels#TLS_MODE_ISTIO} when the pod runs a sidecar (a container named {@value #PROXY_CONTAINER} or
     * {@value #ISTIO_PROXY_CONTAINER}, or Istio's injection-status annotation), else {@value MeshLabels#TLS_MODE_DISABLED}.
     * Callers then speak plaintext to a pod without a sidecar, which could not take the mesh's mTLS.
     */
    static Map<String, String> withTlsMode(Pod pod, Map<String, String> podLabels) {
        if (podLabels.containsKey(MeshLabels.TLS_MODE)) {
            return podLabels;
        }
        Map<String, String> out = new HashMap<>(podLabels);
        out.put(MeshLabels.TLS_MODE, hasSidecar(pod) ? MeshLabels.TLS_MODE_ISTIO : MeshLabels.TLS_MODE_DISABLED);
        return Map.copyOf(out);
    }

    /** The sidecar container's name in Isthmus's manifests. */
    static final String PROXY_CONTAINER = "isthmus-proxy";
    /** The sidecar container's name where Istio's injector ran. */
    static final String ISTIO_PROXY_CONTAINER = "istio-proxy";

    /** Whether a sidecar runs in the pod, as far as its spec and Istio's injection annotation tell. */
    static boolean hasSidecar(Pod pod) {
        Map<String, String> annotations = pod.getMetadata() == null ? null : pod.getMetadata().getAnnotations();
        if (annotations != null && annotations.containsKey("sidecar.istio.io/status")) {
            return true;
        }
        if (pod.getSpec() == null) {
            return false;
        }
        Stream<Container> containers = Stream.concat(
                pod.getSpec().getContainers() == null ? Stream.empty() : pod.getSpec().getContainers().stream(),
                // a native sidecar: an init container that keeps running
                pod.getSpec().getInitContainers() == null ? Stream.empty() : pod.getSpec().getInitContainers().stream());
        return containers.anyMatch(c -> PROXY_CONTAINER.equals(c.getName()) || ISTIO_PROXY_CONTAINER.equals(c.getName()));
    }

    /**
     * The cluster-wide network: the network label of the control plane's namespace
     * ({@code isthmus-system}, else {@code istio-system}), else the configured default.
     */
    private String systemNetwork(Lookups lookups) {
        for (String ns : new String[] {MeshLabels.SYSTEM_NAMESPACE, "istio-system"}) {
            Namespace n = lookups.namespaceByName().apply(ns);
            String net = n == null ? null : labels(n).get(MeshLabels.NETWORK);
            if (net != null && !net.isEmpty()) {
                return net;
            }
        }
        return defaultNetwork;
    }

    /** The locality of a node from its topology labels; the slice's zone hint when the node is unknown. */
    static Locality locality(Node node, String zoneHint) {
        if (node == null) {
            return zoneHint == null ? Locality.UNKNOWN : new Locality("", zoneHint, "");
        }
        Map<String, String> l = labels(node);
        return new Locality(l.getOrDefault(MeshLabels.REGION, ""),
                l.getOrDefault(MeshLabels.ZONE, zoneHint == null ? "" : zoneHint),
                l.getOrDefault(MeshLabels.SUBZONE, ""));
    }

    /** Whether a Service is an east-west gateway Service (labels {@code istio: eastwestgateway} and a network). */
    public static boolean isGateway(Service svc) {
        Map<String, String> l = labels(svc);
        return GATEWAY_LABEL_VALUE.equals(l.get(GATEWAY_LABEL)) && l.containsKey(MeshLabels.NETWORK);
    }

    /**
     * The east-west gateway a Service announces: its network label, its first load-balancer ingress
     * IP (or hostname) and its port named {@code tls} (15443 if none is named so). Empty when the
     * Service is no gateway or has no ingress address yet.
     */
    public Optional<NetworkGateway> gateway(Service svc) {
        if (!isGateway(svc) || svc.getStatus() == null || svc.getStatus().getLoadBalancer() == null
                || svc.getStatus().getLoadBalancer().getIngress() == null
                || svc.getStatus().getLoadBalancer().getIngress().isEmpty()) {
            return Optional.empty();
        }
        LoadBalancerIngress ingress = svc.getStatus().getLoadBalancer().getIngress().get(0);
        String address = ingress.getIp() != null && !ingress.getIp().isEmpty() ? ingress.getIp() : ingress.getHostname();
        if (address == null || address.isEmpty()) {
            return Optional.empty();
        }
        int port = WellKnownPorts.EAST_WEST_PASSTHROUGH;
        if (svc.getSpec() != null && svc.getSpec().getPorts() != null) {
            for (io.fabric8.kubernetes.api.model.ServicePort p : svc.getSpec().getPorts()) {
                if (GATEWAY_PORT_NAME.equals(p.getName()) && p.getPort() != null) {
                    port = p.getPort();
                }
            }
        }
        return Optional.of(new NetworkGateway(labels(svc).get(MeshLabels.NETWORK), cluster, address, port));
    }

    static Map<String, String> labels(HasMetadata o) {
        Map<String, String> l = o.getMetadata() == null ? null : o.getMetadata().getLabels();
        return l == null ? Map.of() : l;
    }
}
