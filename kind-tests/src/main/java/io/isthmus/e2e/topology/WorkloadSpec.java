package io.isthmus.e2e.topology;

/**
 * Where and how many pods of a service run.
 *
 * @param cluster  the cluster
 * @param zone     the zone; the pods run on the cluster's first node in that zone
 * @param version  the {@code version} label (subsets), e.g. {@code v1}
 * @param replicas how many pods, 0..50
 * @param capture  how the pods' traffic reaches their sidecars ({@link CaptureMode#NONE} by default)
 * @param sidecar  whether the pods run a sidecar (true by default); a pod without one serves its ports in plaintext
 *                 on its own address, as an app not yet in the mesh does
 */
public record WorkloadSpec(String cluster, String zone, String version, int replicas, CaptureMode capture, boolean sidecar) {

    public WorkloadSpec {
        Specs.requireName("workloads.cluster", cluster);
        Specs.requireName("workloads[" + cluster + "].zone", zone);
        Specs.requireName("workloads[" + cluster + "/" + zone + "].version", version);
        if (replicas < 0 || replicas > 50) {
            throw new TopologyException("workloads[" + cluster + "/" + zone + "].replicas: " + replicas + " is not in 0..50");
        }
        if (capture == null) {
            throw new TopologyException("workloads[" + cluster + "/" + zone + "].capture: required");
        }
        if (!sidecar && capture.transparent()) {
            throw new TopologyException("workloads[" + cluster + "/" + zone + "].capture: " + capture
                    + " captures traffic for a sidecar, and sidecar is false");
        }
    }

    /** Pods with a sidecar. */
    public WorkloadSpec(String cluster, String zone, String version, int replicas, CaptureMode capture) {
        this(cluster, zone, version, replicas, capture, true);
    }

    /** Pods with a sidecar, without transparent capture ({@link CaptureMode#NONE}). */
    public WorkloadSpec(String cluster, String zone, String version, int replicas) {
        this(cluster, zone, version, replicas, CaptureMode.NONE);
    }
}
