package io.isthmus.controller.registry;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One service as one cluster sees it: its ports and its endpoints in that cluster.
 *
 * @param cluster the cluster name
 * @param namespace the service's namespace
 * @param name the service's name
 * @param hostname the mesh hostname, {@code <name>.<namespace>.svc.cluster.local} for Kubernetes services
 * @param ports the service ports, ordered as declared
 * @param labels the service's own labels
 * @param endpoints the instances in this cluster (every one of them carries {@code cluster})
 */
public record ClusterService(String cluster, String namespace, String name, String hostname, List<ServicePort> ports,
                             Map<String, String> labels, List<WorkloadEndpoint> endpoints) {

    public ClusterService {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hostname, "hostname");
        if (cluster.isEmpty() || hostname.isEmpty()) {
            throw new IllegalArgumentException("cluster and hostname must not be empty");
        }
        ports = List.copyOf(Objects.requireNonNull(ports, "ports"));
        labels = Map.copyOf(Objects.requireNonNull(labels, "labels"));
        endpoints = List.copyOf(Objects.requireNonNull(endpoints, "endpoints"));
        for (WorkloadEndpoint e : endpoints) {
            if (!e.cluster().equals(cluster)) {
                throw new IllegalArgumentException("endpoint " + e.address() + " of cluster " + e.cluster()
                        + " in service " + hostname + " of cluster " + cluster);
            }
        }
    }

    /** The same service with other endpoints. */
    public ClusterService withEndpoints(List<WorkloadEndpoint> newEndpoints) {
        return new ClusterService(cluster, namespace, name, hostname, ports, labels, newEndpoints);
    }
}
