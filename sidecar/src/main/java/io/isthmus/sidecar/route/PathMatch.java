package io.isthmus.sidecar.route;

import java.util.Locale;
import java.util.Objects;

/**
 * The path condition of a route.
 *
 * @param kind prefix, exact path or whole-path regular expression
 * @param value the prefix, path or regular expression
 * @param caseSensitive Envoy default true
 */
public record PathMatch(Kind kind, String value, boolean caseSensitive) {

    public PathMatch {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(value, "value");
        if (kind == Kind.REGEX) {
            Regexes.compiled(value);
        }
    }

    /** The path comparison. */
    public enum Kind { PREFIX, EXACT, REGEX }

    /**
     * The path with what this condition matched replaced by {@code replacement}, as Envoy's {@code prefix_rewrite}:
     * the matched prefix of a prefix match (whatever its case when the match is case-insensitive), the whole path of
     * an exact or regex match.
     */
    public String replaceMatched(String path, String replacement) {
        if (kind != Kind.PREFIX) {
            return replacement;
        }
        return path.regionMatches(!caseSensitive, 0, value, 0, value.length())
                ? replacement + path.substring(value.length()) : path;
    }

    /** True when the path (without query) matches. */
    public boolean matches(String path) {
        return switch (kind) {
            case PREFIX -> caseSensitive ? path.startsWith(value)
                    : path.toLowerCase(Locale.ROOT).startsWith(value.toLowerCase(Locale.ROOT));
            case EXACT -> caseSensitive ? path.equals(value) : path.equalsIgnoreCase(value);
            case REGEX -> Regexes.matches(value, path);
        };
    }
}
