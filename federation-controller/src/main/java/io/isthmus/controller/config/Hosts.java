package io.isthmus.controller.config;

import io.isthmus.mesh.MeshLabels;
import java.util.regex.Pattern;

/** Host names in config: qualification of short names and their syntax check. */
final class Hosts {

    private static final Pattern HOST = Pattern.compile("(\\*|\\*\\.)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*\\.?|\\*");

    private Hosts() {
    }

    /** {@code reviews} → {@code reviews.<ns>.svc.cluster.local}; names with a dot are kept. */
    static String qualify(String host, String namespace) {
        if (host.equals("*") || host.contains(".")) {
            return host;
        }
        return MeshLabels.serviceHostname(host, namespace);
    }

    static void check(Fields f, String field, String host) {
        if (!HOST.matcher(host).matches() || host.length() > 253) {
            throw f.error(field, "not a valid host name: " + host);
        }
    }

    /** Whether {@code host} is matched by {@code pattern} (exact, {@code *}, or {@code *.suffix}). */
    static boolean matches(String pattern, String host) {
        if (pattern.equals("*") || pattern.equals(host)) {
            return true;
        }
        return pattern.startsWith("*.") && host.endsWith(pattern.substring(1));
    }
}
