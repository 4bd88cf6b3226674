package io.isthmus.sidecar.listener;

/** How a listener treats TLS from its clients. */
public enum DownstreamTlsMode {
    /** Plaintext only (outbound listeners). */
    NONE,
    /** TLS with a client certificate from the mesh required (Istio STRICT). */
    STRICT,
    /**
     * TLS with an optional client certificate; with a plaintext filter chain beside it, plaintext
     * is accepted too (Istio PERMISSIVE).
     */
    PERMISSIVE
}
