package io.isthmus.sidecar.filter;

/** Which way a listener's traffic flows relative to the local workload. */
public enum Direction {
    /** From the local app to the mesh (the proxy reports as {@code source}). */
    OUTBOUND,
    /** From the mesh to the local app (the proxy reports as {@code destination}). */
    INBOUND;

    /** Lower-case name used in logs and metrics. */
    public String label() {
        return this == OUTBOUND ? "outbound" : "inbound";
    }
}
