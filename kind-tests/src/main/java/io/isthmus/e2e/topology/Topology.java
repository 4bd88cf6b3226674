package io.isthmus.e2e.topology;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A whole federation: one trust domain, its clusters, the services deployed across them and the
 * remote secrets that join them. Cross references (a workload's cluster and zone, a secret's
 * holder) are checked here, so a {@code Topology} that exists is usable.
 *
 * @param name          a short name for logs and reports (the file name without extension)
 * @param trustDomain   the SPIFFE trust domain of every identity, e.g. {@code cluster.local}
 * @param clusters      the clusters, names unique
 * @param services      the services, unique by namespace and name
 * @param remoteSecrets which cluster holds a remote secret of which
 * @param externalServices services outside the mesh, each reached by one cluster's egress gateway
 */
public record Topology(String name, String trustDomain, List<ClusterSpec> clusters, List<ServiceSpec> services,
                       List<RemoteSecretSpec> remoteSecrets, List<ExternalServiceSpec> externalServices) {

    public Topology {
        Objects.requireNonNull(name, "name");
        Specs.requireName("trustDomain", trustDomain);
        clusters = List.copyOf(clusters);
        services = List.copyOf(services);
        remoteSecrets = List.copyOf(remoteSecrets);
        externalServices = externalServices == null ? List.of() : List.copyOf(externalServices);
        if (clusters.isEmpty()) {
            throw new TopologyException("clusters: at least one cluster is required");
        }
        Set<String> names = new HashSet<>();
        for (ClusterSpec c : clusters) {
            if (!names.add(c.name())) {
                throw new TopologyException("clusters[" + c.name() + "].name: duplicate cluster name");
            }
        }
        for (ClusterSpec c : clusters) {
            if (c.role() == ClusterSpec.Role.REMOTE) {
                String cp = c.controlPlane();
                ClusterSpec primary = find(clusters, cp).orElseThrow(() -> new TopologyException(
                        "clusters[" + c.name() + "].controlPlane: no cluster named '" + cp + "'"));
                if (primary.role() != ClusterSpec.Role.PRIMARY) {
                    throw new TopologyException("clusters[" + c.name() + "].controlPlane: '" + cp + "' is not a primary");
                }
            }
        }
        Set<String> serviceKeys = new HashSet<>();
        for (ServiceSpec s : services) {
            if (!serviceKeys.add(s.namespace() + "/" + s.name())) {
                throw new TopologyException("services[" + s.name() + "]: duplicate service " + s.namespace() + "/" + s.name());
            }
            for (WorkloadSpec w : s.workloads()) {
                String at = "services[" + s.name() + "].workloads[" + w.cluster() + "/" + w.zone() + "]";
                ClusterSpec c = find(clusters, w.cluster()).orElseThrow(() -> new TopologyException(
                        at + ".cluster: no cluster named '" + w.cluster() + "'"));
                if (c.node(w.zone()).isEmpty()) {
                    throw new TopologyException(at + ".zone: cluster '" + c.name() + "' has no node in zone '" + w.zone() + "'");
                }
            }
        }
        for (RemoteSecretSpec r : remoteSecrets) {
            String at = "remoteSecrets[" + r.holder() + "<-" + r.of() + "]";
            ClusterSpec holder = find(clusters, r.holder()).orElseThrow(() -> new TopologyException(
                    at + ".holder: no cluster named '" + r.holder() + "'"));
            find(clusters, r.of()).orElseThrow(() -> new TopologyException(at + ".of: no cluster named '" + r.of() + "'"));
            if (holder.role() != ClusterSpec.Role.PRIMARY) {
                throw new TopologyException(at + ".holder: '" + r.holder() + "' is a remote cluster; only primaries hold remote secrets");
            }
        }
        Set<String> hosts = new HashSet<>();
        for (ExternalServiceSpec e : externalServices) {
            String at = "externalServices[" + e.host() + "]";
            if (!hosts.add(e.host())) {
                throw new TopologyException(at + ".host: duplicate external host");
            }
            ClusterSpec c = find(clusters, e.cluster()).orElseThrow(() -> new TopologyException(
                    at + ".cluster: no cluster named '" + e.cluster() + "'"));
            if (c.gateway(GatewaySpec.Kind.EGRESS).isEmpty()) {
                throw new TopologyException(at + ".cluster: cluster '" + c.name() + "' runs no egress gateway (clusters[].gateways)");
            }
        }
    }

    /** A topology without external services. */
    public Topology(String name, String trustDomain, List<ClusterSpec> clusters, List<ServiceSpec> services,
                    List<RemoteSecretSpec> remoteSecrets) {
        this(name, trustDomain, clusters, services, remoteSecrets, List.of());
    }

    /** Whether any cluster runs an edge gateway (the federation then builds the outside networks). */
    public boolean hasEdges() {
        return clusters.stream().anyMatch(c -> !c.gateways().isEmpty()) || !externalServices.isEmpty();
    }

    /** The cluster with this name. */
    public Optional<ClusterSpec> cluster(String clusterName) {
        return find(clusters, clusterName);
    }

    /** The distinct networks, in order of first appearance. */
    public List<String> networks() {
        return clusters.stream().map(ClusterSpec::network).distinct().toList();
    }

    /** The service with this name (any namespace). */
    public Optional<ServiceSpec> service(String serviceName) {
        return services.stream().filter(s -> s.name().equals(serviceName)).findFirst();
    }

    private static Optional<ClusterSpec> find(List<ClusterSpec> clusters, String name) {
        return clusters.stream().filter(c -> c.name().equals(name)).findFirst();
    }
}
