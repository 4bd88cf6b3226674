package io.isthmus.controller.translate;

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
 * ({@link ClusterTranslator#dnsCluster}). A host the registry already knows, or an earlier entry (by
 * namespace/name) already added, keeps its first definition.
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
    }

    /**
     * The services of every STATIC and DNS ServiceEntry of the configuration, by hostname.
     *
     * @param cfg the configuration
     * @param known whether the registry already has a hostname (the registry wins)
     */
    static Map<String, Entry> of(MeshConfig cfg, Predicate<String> known) {
        List<ServiceEntry> entries = new ArrayList<>(cfg.all(ServiceEntry.class));
        entries.sort(Comparator.comparing((ServiceEntry se) -> se.ref().namespace()).thenComparing(se -> se.ref().name()));
        Map<String, Entry> out = new LinkedHashMap<>();
        for (ServiceEntry se : entries) {
            if (se.resolution() == ServiceEntry.Resolution.NONE) {
                continue;
            }
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
        for (ServiceEntry.Endpoint e : se.resolution() == ServiceEntry.Resolution.DNS ? List.<ServiceEntry.Endpoint>of()
                : se.endpoints()) {
            endpoints.add(new WorkloadEndpoint(e.address(), e.ports(), cluster, e.network(), Locality.parse(e.locality()),
                    EndpointHealth.HEALTHY, "default", "", ref.namespace(), e.labels()));
        }
        int dot = host.indexOf('.');
        String name = dot < 0 ? host : host.substring(0, dot);
        ClusterService cs = new ClusterService(cluster, ref.namespace(), name, host, ports, Map.of(), endpoints);
        return FederatedService.merge(List.of(cs));
    }
}
