package io.isthmus.sidecar.errors;

import java.util.Objects;

/**
 * An xDS resource the data plane cannot honour: names the resource type, the resource, the field
 * and the reason, so that the xDS client can NACK it while the previous good configuration stays.
 */
public final class InvalidResourceException extends Exception {

    private final String typeUrl;
    private final String resourceName;
    private final String field;
    private final String reason;

    /**
     * @param typeUrl the resource type, e.g. {@code type.googleapis.com/envoy.config.cluster.v3.Cluster}
     * @param resourceName the resource's name
     * @param field the offending field path, e.g. {@code lb_policy}
     * @param reason what was wrong with it
     */
    public InvalidResourceException(String typeUrl, String resourceName, String field, String reason) {
        super(typeUrl.substring(typeUrl.lastIndexOf('.') + 1) + " " + resourceName + ": " + field + ": " + reason);
        this.typeUrl = Objects.requireNonNull(typeUrl, "typeUrl");
        this.resourceName = Objects.requireNonNull(resourceName, "resourceName");
        this.field = Objects.requireNonNull(field, "field");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public String typeUrl() {
        return typeUrl;
    }

    public String resourceName() {
        return resourceName;
    }

    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
