package io.isthmus.controller.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The complete xDS configuration of one proxy at one moment, each resource by name: what the
 * translators produce for a {@link ProxyView} and what the ADS transport serves from.
 */
public record ProxyResources(
        SortedMap<String, Listener> listeners,
        SortedMap<String, RouteConfiguration> routes,
        SortedMap<String, Cluster> clusters,
        SortedMap<String, ClusterLoadAssignment> endpoints,
        SortedMap<String, Secret> secrets) {

    /** Maps this record made, by identity, weakly held. */
    private static final com.google.common.cache.Cache<Object, Boolean> FROZEN =
            com.google.common.cache.CacheBuilder.newBuilder().weakKeys().build();

    /** No resources at all. */
    public static final ProxyResources EMPTY = new ProxyResources(
            new TreeMap<>(), new TreeMap<>(), new TreeMap<>(), new TreeMap<>(), new TreeMap<>());

    public ProxyResources {
        listeners = copy(listeners);
        routes = copy(routes);
        clusters = copy(clusters);
        endpoints = copy(endpoints);
        secrets = copy(secrets);
    }


    /**
     * An unmodifiable sorted copy; a map this record already froze is shared as it is, so proxies of
     * one view share their maps instead of copying thousands of entries each.
     */
    private static <T> SortedMap<String, T> copy(Map<String, T> m) {
        if (FROZEN.getIfPresent(m) != null) {
            @SuppressWarnings("unchecked")
            SortedMap<String, T> same = (SortedMap<String, T>) m;
            return same;
        }
        SortedMap<String, T> out = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(m));
        FROZEN.put(out, Boolean.TRUE);
        return out;
    }

    /** Total number of resources of every type. */
    public int size() {
        return listeners.size() + routes.size() + clusters.size() + endpoints.size() + secrets.size();
    }
}
