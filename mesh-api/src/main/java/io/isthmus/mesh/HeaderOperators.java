package io.isthmus.mesh;

import java.util.Set;

/**
 * The Envoy command operators ({@code %NAME%}) that Isthmus proxies render in the header values of route header
 * mutations: the control plane refuses a VirtualService whose header value names another, so that no proxy has to
 * refuse its routes. The proxy's own list must equal this one (a test in the sidecar checks it).
 */
public final class HeaderOperators {

    /** The supported operator names. */
    public static final Set<String> NAMES = Set.of(
            "DOWNSTREAM_REMOTE_ADDRESS", "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
            "DOWNSTREAM_DIRECT_REMOTE_ADDRESS", "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT",
            "DOWNSTREAM_LOCAL_ADDRESS", "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT", "DOWNSTREAM_LOCAL_PORT",
            "UPSTREAM_REMOTE_ADDRESS", "HOSTNAME", "PROTOCOL", "START_TIME");

    private HeaderOperators() {
    }

    /**
     * Why a header value would be refused, or null when it is fine: a NUL, CR or LF, a {@code %} that is neither
     * {@code %%} nor a whole {@code %NAME%}, or an operator not in {@link #NAMES}.
     */
    public static String problem(String value) {
        int n = value.length();
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c == 0 || c == '\r' || c == '\n') {
                return "must not contain NUL, CR or LF";
            }
            if (c != '%') {
                continue;
            }
            if (i + 1 < n && value.charAt(i + 1) == '%') {
                i++;
                continue;
            }
            int end = value.indexOf('%', i + 1);
            if (end < 0) {
                return "has a % that starts no %OPERATOR% (a literal % is written %%)";
            }
            String name = value.substring(i + 1, end);
            if (!NAMES.contains(name)) {
                return "names %" + name + "%, which is not supported (supported: " + String.join(", ", new java.util.TreeSet<>(NAMES)) + ")";
            }
            i = end;
        }
        return null;
    }
}
