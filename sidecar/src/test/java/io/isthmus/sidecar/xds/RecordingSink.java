package io.isthmus.sidecar.xds;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A data plane stand-in that keeps what was applied per type, in order, and rejects clusters with
 * {@code lb_policy: MAGLEV} the way the real one rejects an unsupported policy.
 */
class RecordingSink implements ResourceSink {
    final Map<XdsResourceType, Map<String, ? extends Message>> current = new ConcurrentHashMap<>();
    final Map<XdsResourceType, String> versions = new ConcurrentHashMap<>();
    final List<XdsResourceType> order = new CopyOnWriteArrayList<>();
    final List<Map.Entry<XdsResourceType, Map<String, ? extends Message>>> history = new CopyOnWriteArrayList<>();

    private <T extends Message> ResourceHandler<T> record(XdsResourceType type) {
        return (resources, version) -> {
            current.put(type, resources);
            versions.put(type, version);
            order.add(type);
            history.add(Map.entry(type, resources));
        };
    }

    Map<String, ? extends Message> of(XdsResourceType type) {
        return current.getOrDefault(type, Map.of());
    }

    @Override
    public ResourceHandler<Listener> listeners() {
        return record(XdsResourceType.LISTENER);
    }

    @Override
    public ResourceHandler<RouteConfiguration> routes() {
        return record(XdsResourceType.ROUTE);
    }

    @Override
    public ResourceHandler<Cluster> clusters() {
        ResourceHandler<Cluster> rec = record(XdsResourceType.CLUSTER);
        return (resources, version) -> {
            for (Cluster c : resources.values()) {
                if (c.getLbPolicy() == Cluster.LbPolicy.MAGLEV) {
                    throw new XdsResourceException(XdsResourceType.CLUSTER.typeUrl(), c.getName(), "lb_policy",
                            "MAGLEV is not supported");
                }
            }
            rec.apply(resources, version);
        };
    }

    @Override
    public ResourceHandler<ClusterLoadAssignment> endpoints() {
        return record(XdsResourceType.ENDPOINT);
    }

    @Override
    public ResourceHandler<io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret> secrets() {
        return record(XdsResourceType.SECRET);
    }
}
