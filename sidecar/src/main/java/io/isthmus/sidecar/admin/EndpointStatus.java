package io.isthmus.sidecar.admin;

import io.isthmus.mesh.Locality;

import java.util.Objects;

/**
 * One endpoint of one cluster as the data plane sees it right now, for {@code /clusters}.
 *
 * @param cluster        the xDS cluster name
 * @param address        the endpoint's IP address or hostname
 * @param port           the endpoint's port
 * @param locality       the endpoint's locality
 * @param priority       the priority of its locality group (0 = nearest)
 * @param weight         its load-balancing weight (1 when unset)
 * @param health         {@code HEALTHY}, {@code UNHEALTHY}, {@code DRAINING}, ... (Envoy's health status names)
 * @param ejected        whether outlier detection has ejected it right now
 * @param activeRequests requests in flight to it
 * @param transport      how connections to it are secured: {@value #MESH_MTLS}, {@value #TLS} (origination to a
 *                       server outside the mesh) or {@value #PLAINTEXT}, per endpoint under
 *                       {@code transport_socket_matches}; {@value #PASSTHROUGH} at an east-west gateway
 */
public record EndpointStatus(String cluster, String address, int port, Locality locality, int priority,
                             int weight, String health, boolean ejected, int activeRequests, String transport) {

    /** {@link #transport} of an endpoint spoken to with the mesh's mTLS. */
    public static final String MESH_MTLS = "mtls";
    /** {@link #transport} of an endpoint spoken to with TLS originated to a server outside the mesh. */
    public static final String TLS = "tls";
    /** {@link #transport} of an east-west gateway's endpoint: the caller's mTLS, relayed untouched. */
    public static final String PASSTHROUGH = "passthrough";
    /** {@link #transport} of an endpoint spoken to in plaintext. */
    public static final String PLAINTEXT = "plaintext";

    public EndpointStatus {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(locality, "locality");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(transport, "transport");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: out of range " + port);
        }
    }
}
