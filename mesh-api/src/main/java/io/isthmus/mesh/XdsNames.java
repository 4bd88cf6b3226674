package io.isthmus.mesh;

/**
 * Names of xDS resources that the controller produces and proxies look for, beyond
 * {@link OutboundName}.
 */
public final class XdsNames {
    /** SDS secret holding the proxy's own workload certificate and key (Istio's name). */
    public static final String WORKLOAD_SECRET = "default";
    /** SDS secret holding the trust bundle, all roots (Istio's name). */
    public static final String ROOT_SECRET = "ROOTCA";
    /**
     * Loopback address on which a sidecar's outbound listeners bind in capture mode NONE; the
     * sidecar's DNS proxy answers mesh hostnames with it, so an app calls a service by its
     * hostname and lands on the listener for that port.
     */
    public static final String OUTBOUND_BIND_ADDRESS = "127.0.0.2";
    /** The passthrough listener of an east-west gateway. */
    public static final String EAST_WEST_LISTENER = "east-west-passthrough";
    /**
     * Endpoint filter-metadata namespace that a cluster's {@code transport_socket_matches} match on (Envoy's); the
     * controller puts {@code tlsMode} there ({@link MeshLabels#TLS_MODE}'s value).
     */
    public static final String TRANSPORT_SOCKET_MATCH = "envoy.transport_socket_match";
    /** The key under {@link #TRANSPORT_SOCKET_MATCH} and in the matches of auto-mTLS clusters (Istio's). */
    public static final String TLS_MODE_KEY = "tlsMode";

    private XdsNames() {
    }

    /** The outbound HTTP listener of a port: {@code outbound_127.0.0.2_9080}. */
    public static String outboundListener(int port) {
        return "outbound_" + OUTBOUND_BIND_ADDRESS + "_" + port;
    }

    /**
     * A listener on every address of a port, {@code 0.0.0.0_9080} (Istio's name): a gateway's listener,
     * and in transparent capture (INTERCEPTION_MODE TPROXY or REDIRECT) a sidecar's outbound listener of
     * that port ({@code bind_to_port: false}).
     */
    public static String anyAddressListener(int port) {
        return "0.0.0.0_" + port;
    }

    /** The route configuration of an outbound HTTP port: {@code 9080} (Istio's). */
    public static String outboundRoute(int port) {
        return Integer.toString(port);
    }

    /** The inbound listener of a pod port: {@code inbound_9080}. */
    public static String inboundListener(int port) {
        return "inbound_" + port;
    }

    /** The inbound cluster of a pod port, pointing at the app on loopback: {@code inbound|9080||}. */
    public static String inboundCluster(int port) {
        return "inbound|" + port + "||";
    }
}
