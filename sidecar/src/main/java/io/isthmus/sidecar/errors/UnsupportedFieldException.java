package io.isthmus.sidecar.errors;

import java.util.Objects;

/**
 * A part of a configuration fragment (TLS context, RBAC rules) the proxy cannot honour: the field
 * path within the fragment and the reason. The translator of the enclosing resource turns it into
 * an {@link InvalidResourceException} naming the resource.
 */
public final class UnsupportedFieldException extends Exception {
    private final String field;

    /**
     * @param field the field path within the fragment, e.g. {@code validation_context}
     * @param reason what the proxy cannot honour about it
     */
    public UnsupportedFieldException(String field, String reason) {
        super(reason);
        this.field = Objects.requireNonNull(field, "field");
    }

    /** The field path within the fragment. */
    public String field() {
        return field;
    }
}
