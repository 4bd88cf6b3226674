package io.isthmus.controller.config;

import java.util.Objects;

/**
 * A config resource that was rejected: names the resource, the field (a path such as
 * {@code spec.http[0].route[1].weight}) and the reason.
 */
public final class ConfigException extends RuntimeException {

    private final ResourceRef resource;
    private final String field;
    private final String reason;

    public ConfigException(ResourceRef resource, String field, String reason) {
        super(resource + ": " + field + ": " + reason);
        this.resource = Objects.requireNonNull(resource, "resource");
        this.field = Objects.requireNonNull(field, "field");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The rejected resource. */
    public ResourceRef resource() {
        return resource;
    }

    /** The offending field's path. */
    public String field() {
        return field;
    }

    /** Why it was rejected. */
    public String reason() {
        return reason;
    }
}
