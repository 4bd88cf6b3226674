package io.isthmus.sidecar.telemetry;

import java.util.Objects;

/**
 * Who this proxy is, for metric labels and the access log.
 *
 * @param workload the workload name (Istio's {@code WORKLOAD_NAME}), e.g. {@code productpage-v1}
 * @param namespace the workload's namespace
 * @param cluster the Kubernetes cluster id ({@code CLUSTER_ID}), e.g. {@code east}
 * @param app the canonical service (app label), may equal the workload
 * @param version the canonical revision (version label), may be {@code unknown}
 */
public record NodeIdentity(String workload, String namespace, String cluster, String app, String version) {
    /** An identity with nothing known. */
    public static final NodeIdentity UNKNOWN = new NodeIdentity("unknown", "unknown", "unknown", "unknown", "unknown");

    public NodeIdentity {
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(version, "version");
    }
}
