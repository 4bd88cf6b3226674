package io.isthmus.mesh;

import java.util.Objects;
import java.util.Optional;

/**
 * One outbound destination of the mesh — a service port, optionally narrowed to a subset — in the
 * two spellings Istio gives it: the xDS cluster name {@code outbound|<port>|<subset>|<host>} and the
 * TLS SNI {@code outbound_.<port>_.<subset>_.<host>} that east-west gateways route on.
 *
 * @param port the service port, 1..65535
 * @param subset the subset name (a DestinationRule subset); empty for the whole service
 * @param host the service hostname, e.g. {@code reviews.default.svc.cluster.local}
 */
public record OutboundName(int port, String subset, String host) {

    private static final String SNI_PREFIX = "outbound_.";
    private static final String CLUSTER_PREFIX = "outbound|";

    public OutboundName {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        Objects.requireNonNull(subset, "subset");
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (subset.contains("|") || subset.contains("_.") || host.contains("|")) {
            throw new IllegalArgumentException("subset and host must not contain '|' or '_.': " + subset + " " + host);
        }
    }

    /** The whole service at a port, no subset. */
    public static OutboundName of(String host, int port) {
        return new OutboundName(port, "", host);
    }

    /** xDS cluster name: {@code outbound|9080|v1|reviews.default.svc.cluster.local}. */
    public String clusterName() {
        return CLUSTER_PREFIX + port + "|" + subset + "|" + host;
    }

    /** TLS server name: {@code outbound_.9080_.v1_.reviews.default.svc.cluster.local}. */
    public String sni() {
        return SNI_PREFIX + port + "_." + subset + "_." + host;
    }

    /** The same destination without a subset. */
    public OutboundName withoutSubset() {
        return subset.isEmpty() ? this : new OutboundName(port, "", host);
    }

    /**
     * Parses an SNI of the form {@code outbound_.<port>_.<subset>_.<host>}.
     *
     * @return the name, or empty when the string is not an outbound SNI (wrong prefix, bad port,
     *     empty host)
     */
    public static Optional<OutboundName> parseSni(String sni) {
        if (sni == null || !sni.startsWith(SNI_PREFIX)) {
            return Optional.empty();
        }
        String rest = sni.substring(SNI_PREFIX.length());
        int a = rest.indexOf("_.");
        if (a < 0) {
            return Optional.empty();
        }
        int b = rest.indexOf("_.", a + 2);
        if (b < 0) {
            return Optional.empty();
        }
        return build(rest.substring(0, a), rest.substring(a + 2, b), rest.substring(b + 2));
    }

    /**
     * Parses an xDS cluster name of the form {@code outbound|<port>|<subset>|<host>}.
     *
     * @return the name, or empty when the string is not an outbound cluster name
     */
    public static Optional<OutboundName> parseClusterName(String name) {
        if (name == null || !name.startsWith(CLUSTER_PREFIX)) {
            return Optional.empty();
        }
        String[] parts = name.split("\\|", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        return build(parts[1], parts[2], parts[3]);
    }

    private static Optional<OutboundName> build(String port, String subset, String host) {
        if (host.isEmpty() || port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
            return Optional.empty();
        }
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
            return Optional.empty();
        }
        try {
            return Optional.of(new OutboundName(p, subset, host));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return clusterName();
    }
}
