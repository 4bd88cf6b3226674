package io.isthmus.sidecar.xds;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Puts resources in force: merges a type's static bootstrap resources with the dynamic ones,
 * hands the complete set to that type's {@link ResourceHandler}, and records the result in the
 * {@link ResourceStore}. Used by the xDS client for every update and once for the bootstrap. Not
 * thread-safe: one caller (the xDS thread, or start-up before it exists).
 */
public final class ConfigApplier {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigApplier.class);

    private final Map<XdsResourceType, ResourceHandler<? extends Message>> handlers = new EnumMap<>(XdsResourceType.class);
    private final ResourceStore store;
    private final Clock clock;

    /**
     * Creates an applier.
     *
     * @param sink    the data plane's handlers
     * @param secrets the SDS handler (the certificate package's {@code ROOTCA} handler)
     * @param store   where applied resources are recorded
     * @param clock   for timestamps
     */
    public ConfigApplier(ResourceSink sink, ResourceHandler<Secret> secrets, ResourceStore store, Clock clock) {
        Objects.requireNonNull(sink, "sink");
        handlers.put(XdsResourceType.CLUSTER, Objects.requireNonNull(sink.clusters(), "sink.clusters()"));
        handlers.put(XdsResourceType.ENDPOINT, Objects.requireNonNull(sink.endpoints(), "sink.endpoints()"));
        handlers.put(XdsResourceType.LISTENER, Objects.requireNonNull(sink.listeners(), "sink.listeners()"));
        handlers.put(XdsResourceType.ROUTE, Objects.requireNonNull(sink.routes(), "sink.routes()"));
        handlers.put(XdsResourceType.SECRET, splitSecrets(Objects.requireNonNull(secrets, "secrets"),
                Objects.requireNonNull(sink.secrets(), "sink.secrets()")));
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * One SDS handler for both owners of secrets: {@code ROOTCA} (and {@code default}, which the
     * certificate package refuses) go to {@code mesh}, every other name to {@code named}. The named
     * secrets are validated first, so a rejected update changes neither.
     */
    private static ResourceHandler<Secret> splitSecrets(ResourceHandler<Secret> mesh, ResourceHandler<Secret> named) {
        return (resources, version) -> {
            Map<String, Secret> meshSecrets = new LinkedHashMap<>();
            Map<String, Secret> namedSecrets = new LinkedHashMap<>();
            resources.forEach((n, s) -> {
                if (n.equals(io.isthmus.mesh.XdsNames.ROOT_SECRET) || n.equals(io.isthmus.mesh.XdsNames.WORKLOAD_SECRET)) {
                    meshSecrets.put(n, s);
                } else {
                    namedSecrets.put(n, s);
                }
            });
            named.apply(Map.copyOf(namedSecrets), version);
            mesh.apply(Map.copyOf(meshSecrets), version);
        };
    }

    /** The store this applier writes. */
    public ResourceStore store() {
        return store;
    }

    /**
     * Applies the bootstrap's static resources, clusters first, then secrets, then listeners.
     *
     * @throws XdsResourceException when the data plane rejects one; the message names it
     */
    public void applyStatic(List<Cluster> clusters, List<Listener> listeners, List<Secret> secrets) {
        applyStatic(XdsResourceType.CLUSTER, clusters);
        applyStatic(XdsResourceType.SECRET, secrets);
        applyStatic(XdsResourceType.LISTENER, listeners);
    }

    private void applyStatic(XdsResourceType type, List<? extends Message> resources) {
        Map<String, Message> map = new LinkedHashMap<>();
        for (Message m : resources) {
            String name = type.nameOf(m);
            if (map.put(name, m) != null) {
                throw new XdsResourceException(type.typeUrl(), name, "name", "duplicate static resource name");
            }
        }
        if (map.isEmpty()) {
            return;
        }
        Map<String, Message> merged = new LinkedHashMap<>(map);
        merged.putAll(store.state(type).dynamicResources());
        call(type, merged, "static");
        store.setStatic(type, map);
        LOG.info("Static {} applied [{}]", type.shortName(), String.join(",", map.keySet()));
    }

    /**
     * Applies the complete dynamic set of {@code type}.
     *
     * @throws XdsResourceException when a resource is invalid, collides with a static one, or the
     *                              handler rejects the set; the store and the data plane are unchanged
     */
    public void apply(XdsResourceType type, Map<String, Message> dynamic, String version) {
        Map<String, Message> statics = store.state(type).staticResources();
        for (String name : dynamic.keySet()) {
            if (statics.containsKey(name)) {
                throw new XdsResourceException(type.typeUrl(), name, "name",
                        "collides with a static resource of the bootstrap");
            }
        }
        Map<String, Message> merged = new LinkedHashMap<>(statics);
        merged.putAll(dynamic);
        call(type, merged, version);
        store.setDynamic(type, dynamic, version, clock.instant());
    }

    /** Records a rejection for the admin endpoint. */
    public void recordRejection(XdsResourceType type, String version, String detail) {
        store.reject(type, new ResourceStore.Rejection(version, detail, clock.instant()));
    }

    @SuppressWarnings("unchecked")
    private void call(XdsResourceType type, Map<String, Message> merged, String version) {
        ResourceHandler<Message> h = (ResourceHandler<Message>) handlers.get(type);
        try {
            h.apply(Map.copyOf(merged), version);
        } catch (XdsResourceException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.error("{} handler failed on version {}: {}", type.shortName(), version, e.toString(), e);
            throw new XdsResourceException(type.typeUrl(), "", "", "internal error applying the update: " + e, e);
        }
    }
}
