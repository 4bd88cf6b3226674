package io.isthmus.sidecar.route;

import io.vertx.core.MultiMap;
import java.util.Objects;

/**
 * One header condition of a route (Envoy's {@code HeaderMatcher}).
 *
 * @param name the header name, lower case; {@code :method}, {@code :path}, {@code :authority},
 *     {@code :scheme} address the pseudo headers
 * @param kind how the value is compared
 * @param value the text to compare with; ignored for {@link Kind#PRESENT}
 * @param invert true to negate the result
 */
public record HeaderMatch(String name, Kind kind, String value, boolean invert) {

    public HeaderMatch {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(value, "value");
        name = name.toLowerCase(java.util.Locale.ROOT);
        if (kind == Kind.REGEX) {
            Regexes.compiled(value);
        }
    }

    /** How a header value is compared. */
    public enum Kind { EXACT, PREFIX, SUFFIX, CONTAINS, REGEX, PRESENT, ABSENT }

    /** True when the request's headers satisfy this condition. */
    public boolean matches(RequestView request) {
        String actual = request.header(name);
        boolean result;
        if (kind == Kind.PRESENT) {
            result = actual != null;
        } else if (kind == Kind.ABSENT) {
            result = actual == null;
        } else if (actual == null) {
            result = false;
        } else {
            result = switch (kind) {
                case EXACT -> actual.equals(value);
                case PREFIX -> actual.startsWith(value);
                case SUFFIX -> actual.endsWith(value);
                case CONTAINS -> actual.contains(value);
                case REGEX -> Regexes.matches(value, actual);
                default -> false;
            };
        }
        return result != invert;
    }

    /**
     * What route matching needs to see of a request.
     *
     * @param method the method, e.g. {@code GET}
     * @param authority the Host header or :authority
     * @param path the path without the query
     * @param scheme {@code http} or {@code https}
     * @param headers the request headers
     */
    public record RequestView(String method, String authority, String path, String scheme, MultiMap headers) {
        /** A header value by lower-case name, pseudo headers included; null when absent. */
        public String header(String name) {
            return switch (name) {
                case ":method" -> method;
                case ":authority", "host" -> authority;
                case ":path" -> path;
                case ":scheme" -> scheme;
                default -> headers.get(name);
            };
        }
    }
}
