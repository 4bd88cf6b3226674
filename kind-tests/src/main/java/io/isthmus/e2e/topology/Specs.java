package io.isthmus.e2e.topology;

import java.util.regex.Pattern;

/** Checks shared by the topology records. */
final class Specs {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");

    private Specs() {
    }

    /** Requires a non-blank lower-case DNS-like name; the message names the field. */
    static String requireName(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new TopologyException(field + ": required");
        }
        if (!DNS_LABEL.matcher(value).matches() || value.length() > 63) {
            throw new TopologyException(field + ": '" + value + "' is not a lower-case DNS name (a-z, 0-9, '-', '.', at most 63)");
        }
        return value;
    }
}
