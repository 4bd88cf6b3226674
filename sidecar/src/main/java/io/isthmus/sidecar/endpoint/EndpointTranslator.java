package io.isthmus.sidecar.endpoint;

import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Translates a {@code ClusterLoadAssignment} into a {@link LoadAssignment}, validating every field it
 * honours and refusing those it cannot.
 */
public final class EndpointTranslator {

    private EndpointTranslator() {
    }

    /**
     * Translates one assignment.
     *
     * @param cla the resource
     * @param states the live state to use for an address (kept from the previous assignment)
     */
    public static LoadAssignment translate(ClusterLoadAssignment cla, Function<EndpointAddress, EndpointState> states)
            throws InvalidResourceException {
        String name = cla.getClusterName();
        if (name.isEmpty()) {
            throw invalid("", "cluster_name", "must not be empty");
        }
        int factor = 140;
        if (cla.hasPolicy()) {
            var policy = cla.getPolicy();
            if (policy.getDropOverloadsCount() > 0) {
                throw invalid(name, "policy.drop_overloads", "not supported");
            }
            if (policy.hasOverprovisioningFactor()) {
                factor = policy.getOverprovisioningFactor().getValue();
                if (factor < 1) {
                    throw invalid(name, "policy.overprovisioning_factor", "must be >= 1");
                }
            }
        }
        if (cla.getNamedEndpointsCount() > 0) {
            throw invalid(name, "named_endpoints", "not supported");
        }
        TreeMap<Integer, List<LoadAssignment.LocalityGroup>> byPriority = new TreeMap<>();
        for (int i = 0; i < cla.getEndpointsCount(); i++) {
            LocalityLbEndpoints lle = cla.getEndpoints(i);
            String f = "endpoints[" + i + "]";
            if (lle.hasLedsClusterLocalityConfig()) {
                throw invalid(name, f + ".leds_cluster_locality_config", "LEDS is not supported");
            }
            int priority = lle.getPriority();
            if (priority < 0 || priority > 128) {
                throw invalid(name, f + ".priority", "must be 0 to 128, got " + Integer.toUnsignedString(priority));
            }
            var loc = lle.getLocality();
            LocalityKey locality = new LocalityKey(loc.getRegion(), loc.getZone(), loc.getSubZone());
            int weight = lle.hasLoadBalancingWeight() ? lle.getLoadBalancingWeight().getValue() : 0;
            if (weight < 0) {
                throw invalid(name, f + ".load_balancing_weight", "too large: " + Integer.toUnsignedString(weight));
            }
            SocketMatchLabels localitySocketMatch = socketMatch(name, f + ".metadata", lle.getMetadata());
            List<Endpoint> eps = new ArrayList<>();
            for (int j = 0; j < lle.getLbEndpointsCount(); j++) {
                LbEndpoint lb = lle.getLbEndpoints(j);
                String ef = f + ".lb_endpoints[" + j + "]";
                EndpointAddress address = address(name, ef + ".endpoint.address", lb.getEndpoint().getAddress());
                int w = lb.hasLoadBalancingWeight() ? lb.getLoadBalancingWeight().getValue() : 1;
                if (w < 1) {
                    throw invalid(name, ef + ".load_balancing_weight", "must be >= 1");
                }
                HealthStatus hs = lb.getHealthStatus();
                boolean healthy = hs == HealthStatus.UNKNOWN || hs == HealthStatus.HEALTHY || hs == HealthStatus.DEGRADED;
                SocketMatchLabels socketMatch = socketMatch(name, ef + ".metadata", lb.getMetadata());
                eps.add(new Endpoint(address, locality, priority, w, healthy, states.apply(address), socketMatch,
                        localitySocketMatch, clusterId(lb.getMetadata())));
            }
            byPriority.computeIfAbsent(priority, p -> new ArrayList<>())
                    .add(new LoadAssignment.LocalityGroup(locality, weight, eps));
        }
        List<List<LoadAssignment.LocalityGroup>> priorities = new ArrayList<>();
        if (!byPriority.isEmpty()) {
            int max = byPriority.lastKey();
            if (max > 128) {
                throw invalid(name, "endpoints.priority", "priorities must be dense and small, got " + max);
            }
            for (int p = 0; p <= max; p++) {
                priorities.add(byPriority.getOrDefault(p, List.of()));
            }
        }
        return new LoadAssignment(name, priorities, factor);
    }

    /**
     * The {@code envoy.transport_socket_match} labels of an endpoint's or a locality's metadata; none
     * when absent. Other metadata has no effect on traffic and is ignored.
     */
    /** Istio's filter-metadata namespace of an endpoint, whose {@code cluster} names the workload's mesh cluster. */
    static final String ISTIO_METADATA = "istio";

    /** The {@code istio} metadata's {@code cluster} when it is a string, else empty (it only labels metrics). */
    private static String clusterId(Metadata metadata) {
        Struct istio = metadata.getFilterMetadataMap().get(ISTIO_METADATA);
        if (istio == null) {
            return "";
        }
        com.google.protobuf.Value v = istio.getFieldsMap().get("cluster");
        return v != null && v.hasStringValue() ? v.getStringValue() : "";
    }

    private static SocketMatchLabels socketMatch(String name, String field, Metadata metadata) throws InvalidResourceException {
        Struct labels = metadata.getFilterMetadataMap().get(SocketMatchLabels.METADATA_KEY);
        if (labels == null) {
            return SocketMatchLabels.NONE;
        }
        return SocketMatchLabels.of(labels, TypeUrls.ENDPOINT, name,
                field + ".filter_metadata[" + SocketMatchLabels.METADATA_KEY + "]");
    }

    /** Parses a socket address of an endpoint or listener. */
    public static EndpointAddress address(String resource, String field, Address address) throws InvalidResourceException {
        if (!address.hasSocketAddress()) {
            throw invalid(resource, field, "only socket_address is supported");
        }
        SocketAddress sa = address.getSocketAddress();
        if (sa.getProtocol() != SocketAddress.Protocol.TCP) {
            throw invalid(resource, field + ".protocol", "only TCP is supported");
        }
        if (!sa.getResolverName().isEmpty() || sa.getPortSpecifierCase() == SocketAddress.PortSpecifierCase.NAMED_PORT) {
            throw invalid(resource, field, "named ports and custom resolvers are not supported");
        }
        int port = sa.getPortValue();
        if (port < 1 || port > 65535 || sa.getAddress().isEmpty()) {
            throw invalid(resource, field, "needs an address and a port 1..65535");
        }
        return new EndpointAddress(sa.getAddress(), port);
    }

    /** The live-state function that keeps the states of a previous assignment. */
    public static Function<EndpointAddress, EndpointState> keeping(LoadAssignment previous) {
        Map<EndpointAddress, EndpointState> known = new java.util.HashMap<>();
        if (previous != null) {
            for (Endpoint e : previous.endpoints()) {
                known.put(e.address(), e.state());
            }
        }
        return a -> known.computeIfAbsent(a, x -> new EndpointState());
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.ENDPOINT, name, field, reason);
    }
}
