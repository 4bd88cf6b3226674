package io.isthmus.sidecar.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.isthmus.mesh.XdsNames;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reading of discovery responses and of the names resources depend on: decoding a response into
 * resources by name, the EDS names of clusters, the RDS names of listeners, the SDS names of
 * listeners and clusters, and the clusters routes send to.
 */
final class ResponseReading {
    private ResponseReading() {
    }

    /**
     * The resources of a response by name.
     *
     * @throws XdsResourceException for a resource of another type, an undecodable one, a blank or a
     *                              repeated name
     */
    static Map<String, Message> decode(XdsResourceType t, DiscoveryResponse r) {
        Map<String, Message> out = new LinkedHashMap<>();
        for (int i = 0; i < r.getResourcesCount(); i++) {
            Any any = r.getResources(i);
            if (!any.getTypeUrl().equals(t.typeUrl())) {
                throw new XdsResourceException(t.typeUrl(), "", "resources[" + i + "]",
                        "type " + any.getTypeUrl() + " in a " + t.shortName() + " response");
            }
            Message m;
            try {
                m = any.unpack(t.messageClass());
            } catch (InvalidProtocolBufferException e) {
                throw new XdsResourceException(t.typeUrl(), "", "resources[" + i + "]", "cannot decode: " + e.getMessage(), e);
            }
            String name = t.nameOf(m);
            if (name.isBlank()) {
                throw new XdsResourceException(t.typeUrl(), "", "resources[" + i + "].name", "blank");
            }
            if (out.put(name, m) != null) {
                throw new XdsResourceException(t.typeUrl(), name, "name", "duplicate in one response");
            }
        }
        return out;
    }

    /** The EDS resource names of the EDS clusters: {@code eds_cluster_config.service_name}, else the cluster name. */
    static Set<String> edsNames(Collection<Message> clusters) {
        Set<String> names = new TreeSet<>();
        for (Message m : clusters) {
            Cluster c = (Cluster) m;
            boolean eds = c.hasType() && c.getType() == Cluster.DiscoveryType.EDS;
            if (eds || c.hasEdsClusterConfig()) {
                String service = c.getEdsClusterConfig().getServiceName();
                names.add(service.isEmpty() ? c.getName() : service);
            }
        }
        return names;
    }

    /** The route configurations the listeners' HTTP connection managers name through RDS. */
    static Set<String> rdsNames(Collection<Message> listeners) {
        Set<String> names = new TreeSet<>();
        for (Message m : listeners) {
            Listener l = (Listener) m;
            l.getFilterChainsList().forEach(fc -> fc.getFiltersList().forEach(f -> {
                if (f.hasTypedConfig() && f.getTypedConfig().is(HttpConnectionManager.class)) {
                    try {
                        HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
                        if (hcm.hasRds()) {
                            names.add(hcm.getRds().getRouteConfigName());
                        }
                    } catch (InvalidProtocolBufferException e) {
                        // the listener handler rejects what it cannot decode; nothing to subscribe
                    }
                }
            }));
        }
        return names;
    }

    /**
     * The SDS secret names the listeners' TLS transport sockets and the clusters' upstream TLS contexts
     * reference, except {@code default} (resolved locally).
     */
    static Set<String> secretNames(Collection<Message> resources) {
        Set<String> names = new TreeSet<>();
        for (Message m : resources) {
            if (m instanceof Listener l) {
                List<FilterChain> chains = new java.util.ArrayList<>(l.getFilterChainsList());
                if (l.hasDefaultFilterChain()) {
                    chains.add(l.getDefaultFilterChain());
                }
                for (FilterChain fc : chains) {
                    if (fc.hasTransportSocket() && fc.getTransportSocket().getTypedConfig().is(DownstreamTlsContext.class)) {
                        try {
                            addSecrets(fc.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class).getCommonTlsContext(), names);
                        } catch (InvalidProtocolBufferException e) {
                            // rejected by the listener handler
                        }
                    }
                }
            } else if (m instanceof Cluster c) {
                if (c.hasTransportSocket() && c.getTransportSocket().getTypedConfig().is(UpstreamTlsContext.class)) {
                    try {
                        addSecrets(c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class).getCommonTlsContext(), names);
                    } catch (InvalidProtocolBufferException e) {
                        // rejected by the cluster handler
                    }
                }
                c.getTransportSocketMatchesList().forEach(tm -> {
                    if (tm.getTransportSocket().getTypedConfig().is(UpstreamTlsContext.class)) {
                        try {
                            addSecrets(tm.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class).getCommonTlsContext(), names);
                        } catch (InvalidProtocolBufferException e) {
                            // rejected by the cluster handler
                        }
                    }
                });
            }
        }
        names.remove(XdsNames.WORKLOAD_SECRET);
        return names;
    }

    private static void addSecrets(CommonTlsContext ctx, Set<String> names) {
        ctx.getTlsCertificateSdsSecretConfigsList().forEach(s -> names.add(s.getName()));
        if (ctx.hasValidationContextSdsSecretConfig()) {
            names.add(ctx.getValidationContextSdsSecretConfig().getName());
        }
        if (ctx.hasCombinedValidationContext() && ctx.getCombinedValidationContext().hasValidationContextSdsSecretConfig()) {
            names.add(ctx.getCombinedValidationContext().getValidationContextSdsSecretConfig().getName());
        }
        names.remove("");
    }

    /** The listeners of a listener discovery response; empty when it cannot be decoded. */
    static List<Message> listeners(DiscoveryResponse r) {
        List<Message> out = new java.util.ArrayList<>();
        for (Any any : r.getResourcesList()) {
            try {
                if (any.is(Listener.class)) {
                    out.add(any.unpack(Listener.class));
                }
            } catch (InvalidProtocolBufferException e) {
                // rejected by the listener handler
            }
        }
        return out;
    }

    /**
     * The clusters the routes of a route discovery response send to (plain and weighted); empty when
     * the response cannot be decoded, which its handler then rejects.
     */
    static Set<String> routedClusters(DiscoveryResponse r) {
        Set<String> names = new TreeSet<>();
        for (Any any : r.getResourcesList()) {
            if (!any.is(RouteConfiguration.class)) {
                continue;
            }
            try {
                any.unpack(RouteConfiguration.class).getVirtualHostsList().forEach(vh -> vh.getRoutesList().forEach(rt -> {
                    if (rt.hasRoute()) {
                        if (!rt.getRoute().getCluster().isEmpty()) {
                            names.add(rt.getRoute().getCluster());
                        }
                        rt.getRoute().getWeightedClusters().getClustersList().forEach(w -> names.add(w.getName()));
                    }
                }));
            } catch (InvalidProtocolBufferException e) {
                // rejected by the route handler
            }
        }
        return names;
    }
}
