package io.isthmus.controller.xds;

import com.google.protobuf.Message;
import io.isthmus.controller.translate.ProxyResources;
import java.util.Map;
import java.util.Optional;

/**
 * The xDS resource types the controller serves, in the order a push sends them (clusters before
 * their endpoints, listeners before their routes, as Envoy's warming expects).
 */
public enum XdsType {
    /** CDS. */
    CLUSTER("type.googleapis.com/envoy.config.cluster.v3.Cluster", "cds", true),
    /** EDS. */
    ENDPOINT("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", "eds", false),
    /** LDS. */
    LISTENER("type.googleapis.com/envoy.config.listener.v3.Listener", "lds", true),
    /** RDS. */
    ROUTE("type.googleapis.com/envoy.config.route.v3.RouteConfiguration", "rds", false),
    /** SDS. */
    SECRET("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", "sds", false);

    private final String typeUrl;
    private final String shortName;
    private final boolean wildcardCapable;

    XdsType(String typeUrl, String shortName, boolean wildcardCapable) {
        this.typeUrl = typeUrl;
        this.shortName = shortName;
        this.wildcardCapable = wildcardCapable;
    }

    /** The {@code type.googleapis.com/...} URL of the resource message. */
    public String typeUrl() {
        return typeUrl;
    }

    /** {@code cds}, {@code eds}, ... for logs and metric tags. */
    public String shortName() {
        return shortName;
    }

    /** Whether an empty subscription means "everything" (LDS and CDS), as in Envoy's protocol. */
    public boolean wildcardCapable() {
        return wildcardCapable;
    }

    /** This type's resources of a proxy, by name. */
    public Map<String, ? extends Message> of(ProxyResources r) {
        return switch (this) {
            case CLUSTER -> r.clusters();
            case ENDPOINT -> r.endpoints();
            case LISTENER -> r.listeners();
            case ROUTE -> r.routes();
            case SECRET -> r.secrets();
        };
    }

    /** The type of a type URL, or empty for a type the controller does not serve. */
    public static Optional<XdsType> fromTypeUrl(String url) {
        for (XdsType t : values()) {
            if (t.typeUrl.equals(url)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
