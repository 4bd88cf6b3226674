package io.isthmus.e2e.demo;

import java.util.Objects;

/**
 * Who a demo app instance is; it answers every call with these.
 *
 * @param service   the service it serves
 * @param namespace its namespace
 * @param cluster   its cluster
 * @param zone      its zone
 * @param pod       its pod name
 * @param version   its version label
 */
public record PodIdentity(String service, String namespace, String cluster, String zone, String pod, String version) {
    public PodIdentity {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(pod, "pod");
        Objects.requireNonNull(version, "version");
    }
}
