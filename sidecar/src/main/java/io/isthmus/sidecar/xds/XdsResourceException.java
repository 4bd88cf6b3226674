package io.isthmus.sidecar.xds;

import java.util.Objects;

/**
 * A rejected xDS resource: names the resource type, the resource, the offending field and why.
 * Thrown by a {@link ResourceHandler} to NACK an update; its {@link #getMessage()} becomes the
 * {@code error_detail} the proxy sends to the control plane.
 */
public final class XdsResourceException extends RuntimeException {
    private final String typeUrl;
    private final String resourceName;
    private final String field;
    private final String reason;

    /**
     * Creates the exception.
     *
     * @param typeUrl      the xDS type URL, e.g. {@code type.googleapis.com/envoy.config.cluster.v3.Cluster}
     * @param resourceName the name of the rejected resource ("" when it has none)
     * @param field        the path of the offending field in Envoy's proto naming, e.g.
     *                     {@code lb_policy} or {@code filter_chains[0].filters[0].typed_config}
     * @param reason       what is wrong, in plain words
     */
    public XdsResourceException(String typeUrl, String resourceName, String field, String reason) {
        super(format(typeUrl, resourceName, field, reason));
        this.typeUrl = Objects.requireNonNull(typeUrl, "typeUrl");
        this.resourceName = Objects.requireNonNull(resourceName, "resourceName");
        this.field = Objects.requireNonNull(field, "field");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Like {@link #XdsResourceException(String, String, String, String)} with a cause. */
    public XdsResourceException(String typeUrl, String resourceName, String field, String reason, Throwable cause) {
        this(typeUrl, resourceName, field, reason);
        initCause(cause);
    }

    private static String format(String typeUrl, String resourceName, String field, String reason) {
        String type = typeUrl == null ? "?" : typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
        return type + " '" + resourceName + "': field " + field + ": " + reason;
    }

    /** The xDS type URL of the rejected resource. */
    public String typeUrl() {
        return typeUrl;
    }

    /** The name of the rejected resource. */
    public String resourceName() {
        return resourceName;
    }

    /** The offending field, in Envoy's proto field naming. */
    public String field() {
        return field;
    }

    /** What was wrong. */
    public String reason() {
        return reason;
    }
}
