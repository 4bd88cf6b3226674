package io.isthmus.controller.registry;

import io.isthmus.mesh.Locality;
import io.isthmus.mesh.MeshLabels;
import java.util.Map;
import java.util.Objects;

/**
 * One instance (pod or workload entry) behind a service in one cluster.
 *
 * @param address the instance IP
 * @param ports the instance port per service port name (from the EndpointSlice), may be empty; see
 *     {@link #targetPort(ServicePort)}
 * @param cluster the cluster the instance runs in
 * @param network the network the address is reachable on (pod label, else namespace label, else the
 *     cluster's default network)
 * @param locality region/zone/subzone of the instance's node, {@link Locality#UNKNOWN} when not known
 * @param health readiness as last reported
 * @param serviceAccount the pod's service account, its mesh identity ({@code default} when unset)
 * @param podName the pod (or workload entry) name, empty when not known
 * @param namespace the pod's namespace
 * @param labels the pod's labels (subsets select on these)
 */
public record WorkloadEndpoint(String address, Map<String, Integer> ports, String cluster, String network,
                               Locality locality, EndpointHealth health, String serviceAccount, String podName,
                               String namespace, Map<String, String> labels) {

    public WorkloadEndpoint {
        Objects.requireNonNull(address, "address");
        if (address.isEmpty()) {
            throw new IllegalArgumentException("address must not be empty");
        }
        ports = Map.copyOf(Objects.requireNonNull(ports, "ports"));
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(locality, "locality");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(serviceAccount, "serviceAccount");
        Objects.requireNonNull(podName, "podName");
        Objects.requireNonNull(namespace, "namespace");
        labels = Map.copyOf(Objects.requireNonNull(labels, "labels"));
        for (Map.Entry<String, Integer> e : ports.entrySet()) {
            if (e.getValue() < 1 || e.getValue() > 65535) {
                throw new IllegalArgumentException("port " + e.getKey() + " must be 1..65535, got " + e.getValue());
            }
        }
    }

    /**
     * The port to dial on this instance for a service port: the EndpointSlice port of the same name,
     * else the service's numeric target port, else the service port itself.
     */
    public int targetPort(ServicePort servicePort) {
        Integer p = ports.get(servicePort.name());
        if (p != null) {
            return p;
        }
        if (ports.size() == 1 && servicePort.name().isEmpty()) {
            return ports.values().iterator().next();
        }
        return servicePort.targetPort() != 0 ? servicePort.targetPort() : servicePort.port();
    }

    /** The SPIFFE ID of this instance's identity in the given trust domain. */
    public String spiffeId(String trustDomain) {
        return MeshLabels.spiffeId(trustDomain, namespace, serviceAccount);
    }

    /** The same endpoint with another health. */
    public WorkloadEndpoint withHealth(EndpointHealth newHealth) {
        return newHealth == health ? this
                : new WorkloadEndpoint(address, ports, cluster, network, locality, newHealth, serviceAccount,
                        podName, namespace, labels);
    }

    /**
     * The value of a label as {@code failoverPriority} sees it: the pod's own label when it has it,
     * else the topology fact the key names ({@code topology.istio.io/network} → network,
     * {@code topology.kubernetes.io/region}/{@code zone}, {@code topology.istio.io/subzone} → locality,
     * {@code topology.istio.io/cluster} → cluster); empty when unknown.
     */
    public String topologyLabel(String key) {
        String own = labels.get(key);
        if (own != null) {
            return own;
        }
        return switch (key) {
            case MeshLabels.NETWORK -> network;
            case MeshLabels.REGION -> locality.region();
            case MeshLabels.ZONE -> locality.zone();
            case MeshLabels.SUBZONE -> locality.subZone();
            case MeshLabels.CLUSTER -> cluster;
            default -> "";
        };
    }

    /**
     * Whether the instance takes the mesh's mTLS, i.e. runs a sidecar: its {@link MeshLabels#TLS_MODE} label is
     * {@value MeshLabels#TLS_MODE_ISTIO}, or it has none (discovery labels every pod it knows; an instance whose pod is
     * not known, or a ServiceEntry endpoint that does not say, keeps the mesh's default).
     */
    public boolean takesMeshMtls() {
        return MeshLabels.TLS_MODE_ISTIO.equals(labels.getOrDefault(MeshLabels.TLS_MODE, MeshLabels.TLS_MODE_ISTIO));
    }

    /** Whether every given label is present with the same value (a subset or selector match). */
    public boolean matches(Map<String, String> selector) {
        return labels.entrySet().containsAll(selector.entrySet());
    }
}
