package io.isthmus.e2e.topology;

import java.util.Locale;

/**
 * How a pod's traffic reaches its sidecar (Istio's interception mode, the sidecar bootstrap's
 * {@code INTERCEPTION_MODE}).
 */
public enum CaptureMode {
    /**
     * No capture (the default): the sidecar's DNS proxy answers mesh hostnames with
     * {@code 127.0.0.2}, where its outbound listeners wait.
     */
    NONE,
    /**
     * Transparent capture with iptables TPROXY ({@code isthmus iptables} in the pod's namespace):
     * every TCP connection goes through the sidecar's 15001/15006, names resolve to ClusterIPs (the
     * sidecar's DNS proxy answers them with the VIPs the controller sends).
     */
    TPROXY,
    /**
     * Transparent capture with iptables REDIRECT (Istio's default; {@code isthmus iptables --mode
     * REDIRECT}): the sidecar reads each connection's original destination with {@code SO_ORIGINAL_DST}.
     */
    REDIRECT;

    /** Parses a topology value (any case); the message names the field and the allowed values. */
    static CaptureMode parse(String field, String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new TopologyException(field + ": '" + value + "' is not one of NONE, TPROXY, REDIRECT");
        }
    }

    /** Whether the pod's traffic is captured transparently (iptables in its namespace). */
    public boolean transparent() {
        return this != NONE;
    }
}
