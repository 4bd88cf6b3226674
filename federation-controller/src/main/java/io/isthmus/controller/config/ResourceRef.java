package io.isthmus.controller.config;

import java.util.Objects;

/**
 * Names one config resource: {@code VirtualService default/reviews}.
 *
 * @param kind the resource kind
 * @param namespace the namespace
 * @param name the name
 */
public record ResourceRef(String kind, String namespace, String name) {

    public ResourceRef {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    @Override
    public String toString() {
        return kind + " " + namespace + "/" + name;
    }
}
