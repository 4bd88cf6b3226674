package io.isthmus.controller.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One mesh service across every cluster that has it (namespace sameness: the same hostname is the
 * same service).
 *
 * @param hostname the mesh hostname
 * @param namespace the namespace
 * @param name the service name
 * @param ports the union of the clusters' ports by port number; on a conflict the cluster whose name
 *     sorts first wins
 * @param clusters the per-cluster view, keyed by cluster name, iterated in name order
 */
public record FederatedService(String hostname, String namespace, String name, List<ServicePort> ports,
                               Map<String, ClusterService> clusters) {

    public FederatedService {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        ports = List.copyOf(Objects.requireNonNull(ports, "ports"));
        Objects.requireNonNull(clusters, "clusters");
        for (Map.Entry<String, ClusterService> e : clusters.entrySet()) {
            if (!e.getKey().equals(e.getValue().cluster()) || !hostname.equals(e.getValue().hostname())) {
                throw new IllegalArgumentException("cluster entry " + e.getKey() + " holds "
                        + e.getValue().cluster() + "/" + e.getValue().hostname() + ", expected " + hostname);
            }
        }
        clusters = Collections.unmodifiableMap(new TreeMap<>(clusters));
    }

    /**
     * Merges the views of several clusters of one hostname.
     *
     * @throws IllegalArgumentException when {@code parts} is empty or the hostnames differ
     */
    public static FederatedService merge(Collection<ClusterService> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no cluster services to merge");
        }
        TreeMap<String, ClusterService> byCluster = new TreeMap<>();
        for (ClusterService p : parts) {
            byCluster.put(p.cluster(), p);
        }
        ClusterService first = byCluster.firstEntry().getValue();
        Map<Integer, ServicePort> ports = new LinkedHashMap<>();
        for (ClusterService p : byCluster.values()) {
            for (ServicePort sp : p.ports()) {
                ports.putIfAbsent(sp.port(), sp);
            }
        }
        return new FederatedService(first.hostname(), first.namespace(), first.name(), new ArrayList<>(ports.values()),
                byCluster);
    }

    /** The port with this number, if the service has it. */
    public Optional<ServicePort> port(int number) {
        return ports.stream().filter(p -> p.port() == number).findFirst();
    }

    /** Every endpoint in every cluster, healthy or not. */
    public List<WorkloadEndpoint> endpoints() {
        List<WorkloadEndpoint> all = new ArrayList<>();
        for (ClusterService cs : clusters.values()) {
            all.addAll(cs.endpoints());
        }
        return all;
    }

    /** Every endpoint grouped by network, networks in name order. */
    public Map<String, List<WorkloadEndpoint>> endpointsByNetwork() {
        Map<String, List<WorkloadEndpoint>> m = new TreeMap<>();
        for (WorkloadEndpoint e : endpoints()) {
            m.computeIfAbsent(e.network(), k -> new ArrayList<>()).add(e);
        }
        return m;
    }

    /** The service accounts behind this service (all clusters), sorted: the identities a client should accept. */
    public Set<String> serviceAccounts() {
        Set<String> s = new TreeSet<>();
        for (WorkloadEndpoint e : endpoints()) {
            s.add(e.namespace() + "/" + e.serviceAccount());
        }
        return s;
    }

    /** The SPIFFE IDs of the identities behind this service, sorted. */
    public Set<String> spiffeIds(String trustDomain) {
        Set<String> s = new TreeSet<>();
        for (WorkloadEndpoint e : endpoints()) {
            s.add(e.spiffeId(trustDomain));
        }
        return s;
    }
}
