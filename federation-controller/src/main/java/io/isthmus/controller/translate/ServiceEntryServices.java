package io.isthmus.controller.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.isthmus.controller.config.MeshConfig;
import io.isthmus.controller.config.ResourceRef;
import io.isthmus.controller.config.ServiceEntry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.Locality;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The services that ServiceEntries add to the mesh, in the registry's shape so that the listener,
 * route, cluster and endpoint translators treat them like Kubernetes services: one service per host,
 * its endpoints the entry's STATIC endpoints (address, ports by port name, labels, locality, network;
 * an empty network is reachable from every proxy directly). A DNS entry's service has no registry
 * endpoints: its clusters are STRICT_DNS with the names in the cluster itself
 * ({@link ClusterTranslator#dnsCluster}). A NONE entry's service has no endpoints either: as in
 * Istio, its clusters are {@code ORIGINAL_DST} with {@code lb_policy: CLUSTER_PROVIDED} and no EDS
 * ({@link #originalDstCluster}), each connection going to the address the app connected to, while
 * its listeners and routes are those of any service (the port's HTTP listener and a virtual host
 * for the host, or a {@code tcp_proxy} listener). Only a proxy in transparent capture learns a
 * useful original destination; in capture mode NONE the proxy's own outbound address is the
 * destination, which an ORIGINAL_DST cluster refuses. A host the registry already knows, or an
 * earlier entry (by namespace/name) already added, keeps its first definition. The entry's
 * {@code addresses} that are single IPs ({@link ServiceEntry#vips()}) are the service's VIPs in every
 * cluster ({@link ServiceVips}).
 */
final class ServiceEntryServices {
    /** Prefix of the pseudo cluster name that a ServiceEntry's endpoints carry in their metadata. */
    static final String CLUSTER_PREFIX = "serviceentry/";

    private ServiceEntryServices() {
    }

    /**
     * One service a ServiceEntry host adds.
     *
     * @param service the service, one pseudo cluster {@code serviceentry/<ns>/<name>}
     * @param source the ServiceEntry that adds it
     */
    record Entry(FederatedService service, ServiceEntry source) {
        Entry {
            Objects.requireNonNull(service, "service");
            Objects.requireNonNull(source, "source");
        }

        /** MESH_INTERNAL (mTLS to mesh sidecars) or MESH_EXTERNAL (bytes as the app sends them unless a DestinationRule says TLS). */
        ServiceEntry.Location location() {
            return source.location();
        }

        /** Whether the endpoints are names the proxy resolves (STRICT_DNS), not registry endpoints. */
        boolean dns() {
            return source.resolution() == ServiceEntry.Resolution.DNS;
        }

        /** Whether connections go to their original destination (resolution NONE: ORIGINAL_DST clusters, no endpoints). */
        boolean passthrough() {
            return source.resolution() == ServiceEntry.Resolution.NONE;
        }
    }

    /**
     * The ORIGINAL_DST cluster of a NONE entry's port, from the cluster {@code shaped} that the
     * entry's traffic policy gives it ({@link ClusterTranslator#externalCluster}: connect timeout,
     * circuit breakers, TLS only when a DestinationRule says so; as with Istio's auto mTLS, an
     * original destination carries no endpoint metadata asking for mesh mTLS): type
     * {@code ORIGINAL_DST}, {@code lb_policy: CLUSTER_PROVIDED}, no EDS config and no endpoints;
     * load-balancer settings and outlier detection do not apply to it (Istio drops them too).
     */
    static Cluster originalDstCluster(Cluster shaped) {
        return shaped.toBuilder()
                .setType(Cluster.DiscoveryType.ORIGINAL_DST)
                .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                .clearEdsClusterConfig()
                .clearLoadAssignment()
                .clearOutlierDetection()
                .clearCommonLbConfig()
                .clearLbConfig()
                .build();
    }

    /**
     * The services of every ServiceEntry of the configuration (STATIC, DNS and NONE), by hostname.
     *
     * @param cfg the configuration
     * @param known whether the registry already has a hostname (the registry wins)
     */
    static Map<String, Entry> of(MeshConfig cfg, Predicate<String> known) {
        List<ServiceEntry> entries = new ArrayList<>(cfg.all(ServiceEntry.class));
        entries.sort(Comparator.comparing((ServiceEntry se) -> se.ref().namespace()).thenComparing(se -> se.ref().name()));
        Map<String, Entry> out = new LinkedHashMap<>();
        for (ServiceEntry se : entries) {
            for (String host : se.hosts()) {
                if (!known.test(host) && !out.containsKey(host)) {
                    out.put(host, new Entry(service(se, host), se));
                }
            }
        }
        return out;
    }

    private static FederatedService service(ServiceEntry se, String host) {
        ResourceRef ref = se.ref();
        String cluster = CLUSTER_PREFIX + ref.namespace() + "/" + ref.name();
        List<ServicePort> ports = new ArrayList<>();
        for (ServiceEntry.Port p : se.ports()) {
            ports.add(new ServicePort(p.name(), p.number(), p.targetPort() == 0 ? p.number() : p.targetPort(), p.protocol()));
        }
        List<WorkloadEndpoint> endpoints = new ArrayList<>();
        for (ServiceEntry.Endpoint e : se.resolution() == ServiceEntry.Resolution.STATIC ? se.endpoints()
                : List.<ServiceEntry.Endpoint>of()) {
            endpoints.add(new WorkloadEndpoint(e.address(), e.ports(), cluster, e.network(), Locality.parse(e.locality()),
                    EndpointHealth.HEALTHY, "default", "", ref.namespace(), e.labels()));
        }
        int dot = host.indexOf('.');
        String name = dot < 0 ? host : host.substring(0, dot);
        ClusterService cs = new ClusterService(cluster, ref.namespace(), name, host, ports, Map.of(), endpoints, se.vips());
        return FederatedService.merge(List.of(cs));
    }
}
