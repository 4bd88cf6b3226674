package io.isthmus.sidecar.xds;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;

import java.util.Optional;

/** The xDS resource types the proxy subscribes to, with their type URLs and message classes. */
public enum XdsResourceType {
    /** CDS. */
    CLUSTER("type.googleapis.com/envoy.config.cluster.v3.Cluster", Cluster.class),
    /** EDS. */
    ENDPOINT("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", ClusterLoadAssignment.class),
    /** LDS. */
    LISTENER("type.googleapis.com/envoy.config.listener.v3.Listener", Listener.class),
    /** RDS. */
    ROUTE("type.googleapis.com/envoy.config.route.v3.RouteConfiguration", RouteConfiguration.class),
    /** SDS. */
    SECRET("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", Secret.class);

    private final String typeUrl;
    private final Class<? extends Message> messageClass;

    XdsResourceType(String typeUrl, Class<? extends Message> messageClass) {
        this.typeUrl = typeUrl;
        this.messageClass = messageClass;
    }

    /** The type URL, {@code type.googleapis.com/...}. */
    public String typeUrl() {
        return typeUrl;
    }

    /** The generated message class. */
    public Class<? extends Message> messageClass() {
        return messageClass;
    }

    /** The short name used in logs: CDS, EDS, LDS, RDS, SDS. */
    public String shortName() {
        return switch (this) {
            case CLUSTER -> "CDS";
            case ENDPOINT -> "EDS";
            case LISTENER -> "LDS";
            case ROUTE -> "RDS";
            case SECRET -> "SDS";
        };
    }

    /** The name of a resource of this type. */
    public String nameOf(Message resource) {
        if (resource instanceof Cluster c) {
            return c.getName();
        }
        if (resource instanceof ClusterLoadAssignment c) {
            return c.getClusterName();
        }
        if (resource instanceof Listener l) {
            return l.getName();
        }
        if (resource instanceof RouteConfiguration r) {
            return r.getName();
        }
        if (resource instanceof Secret s) {
            return s.getName();
        }
        throw new IllegalArgumentException("not a " + shortName() + " resource: " + resource.getClass().getName());
    }

    /** The type of a type URL, if the proxy knows it. */
    public static Optional<XdsResourceType> ofTypeUrl(String typeUrl) {
        for (XdsResourceType t : values()) {
            if (t.typeUrl.equals(typeUrl)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
