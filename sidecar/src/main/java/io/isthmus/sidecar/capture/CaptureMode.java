package io.isthmus.sidecar.capture;

/**
 * How a pod's TCP is sent to the proxy, as Istio's {@code INTERCEPTION_MODE} names the two
 * iptables modes.
 */
public enum CaptureMode {
    /**
     * iptables {@code REDIRECT} in the nat table (Istio's default): the kernel rewrites the destination
     * to the capture port, the proxy reads the original one with {@code SO_ORIGINAL_DST}. The proxy's
     * sockets are ordinary ones.
     */
    REDIRECT,
    /**
     * iptables {@code TPROXY} in the mangle table with policy routing: the destination is not
     * rewritten, the proxy's {@code IP_TRANSPARENT} socket accepts the connection and its local
     * address is the original destination. The proxy needs CAP_NET_ADMIN or CAP_NET_RAW.
     */
    TPROXY;

    /** Parses {@code REDIRECT} or {@code TPROXY}, any case; throws naming the value otherwise. */
    public static CaptureMode parse(String s) {
        for (CaptureMode m : values()) {
            if (m.name().equalsIgnoreCase(s.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("'" + s + "' is not a capture mode (REDIRECT or TPROXY)");
    }
}
