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
    private final String origin;

    public ConfigException(ResourceRef resource, String field, String reason) {
        this(resource, field, reason, "");
    }

    private ConfigException(ResourceRef resource, String field, String reason, String origin) {
        super((origin.isEmpty() ? "" : origin + ": ") + resource + ": " + field + ": " + reason);
        this.resource = Objects.requireNonNull(resource, "resource");
        this.field = Objects.requireNonNull(field, "field");
        this.reason = Objects.requireNonNull(reason, "reason");
        this.origin = origin;
    }

    /** The same rejection, located: {@code origin} names where it was read (a file and document). */
    public ConfigException at(String origin) {
        return new ConfigException(resource, field, reason, Objects.requireNonNull(origin, "origin"));
    }

    /** Where the resource was read ({@code <file> document <n>}), empty when not from a file. */
    public String origin() {
        return origin;
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
