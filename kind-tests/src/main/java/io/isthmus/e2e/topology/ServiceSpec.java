package io.isthmus.e2e.topology;

import io.isthmus.mesh.MeshLabels;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A service and its workloads across clusters (namespace sameness: the same name and namespace in
 * every cluster is one service).
 *
 * @param name           the service name
 * @param namespace      its namespace
 * @param serviceAccount the service account of its pods (their SPIFFE identity)
 * @param ports          its ports, at least one, numbers unique
 * @param workloads      its pods per cluster and zone
 */
public record ServiceSpec(String name, String namespace, String serviceAccount, List<PortSpec> ports,
                          List<WorkloadSpec> workloads) {

    public ServiceSpec {
        Specs.requireName("services.name", name);
        Specs.requireName("services[" + name + "].namespace", namespace);
        Specs.requireName("services[" + name + "].serviceAccount", serviceAccount);
        ports = List.copyOf(ports);
        workloads = List.copyOf(workloads);
        if (ports.isEmpty()) {
            throw new TopologyException("services[" + name + "].ports: at least one port is required");
        }
        Set<Integer> numbers = new HashSet<>();
        for (PortSpec p : ports) {
            if (!numbers.add(p.port())) {
                throw new TopologyException("services[" + name + "].ports[" + p.name() + "].port: duplicate port " + p.port());
            }
        }
    }

    /** The service's hostname, {@code <name>.<namespace>.svc.cluster.local}. */
    public String hostname() {
        return MeshLabels.serviceHostname(name, namespace);
    }

    /** The first port. */
    public PortSpec firstPort() {
        return ports.get(0);
    }
}
