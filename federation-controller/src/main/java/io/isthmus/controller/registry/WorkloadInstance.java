package io.isthmus.controller.registry;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A proxy's own workload as the registry knows it: what an inbound listener needs.
 *
 * @param cluster the cluster
 * @param namespace the namespace
 * @param podName the pod name, empty when not known
 * @param address the pod IP
 * @param labels the pod labels
 * @param serviceAccount the service account
 * @param hostnames the hostnames of the services this workload backs, sorted
 */
public record WorkloadInstance(String cluster, String namespace, String podName, String address,
                               Map<String, String> labels, String serviceAccount, Set<String> hostnames) {

    public WorkloadInstance {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(podName, "podName");
        Objects.requireNonNull(address, "address");
        labels = Map.copyOf(Objects.requireNonNull(labels, "labels"));
        Objects.requireNonNull(serviceAccount, "serviceAccount");
        hostnames = Set.copyOf(new java.util.TreeSet<>(Objects.requireNonNull(hostnames, "hostnames")));
    }
}
