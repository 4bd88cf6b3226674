package io.isthmus.controller.config;

import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Istio's {@code StringMatch}: exactly one of {@code exact}, {@code prefix}, {@code regex} (RE2
 * syntax; checked here with Java's engine, which accepts a superset).
 *
 * @param kind how to compare
 * @param value the string or pattern
 */
public record StringMatch(Kind kind, String value) {

    /** How a {@link StringMatch} compares. */
    public enum Kind { EXACT, PREFIX, REGEX }

    public StringMatch {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(value, "value");
    }

    /** Whether {@code s} matches. */
    public boolean matches(String s) {
        if (s == null) {
            return false;
        }
        return switch (kind) {
            case EXACT -> s.equals(value);
            case PREFIX -> s.startsWith(value);
            case REGEX -> Pattern.matches(value, s);
        };
    }

    static StringMatch parse(Fields f) {
        f.allowOnly("exact", "prefix", "regex");
        int n = (f.has("exact") ? 1 : 0) + (f.has("prefix") ? 1 : 0) + (f.has("regex") ? 1 : 0);
        if (n != 1) {
            throw f.error(null, "exactly one of exact, prefix, regex is required");
        }
        if (f.has("exact")) {
            return new StringMatch(Kind.EXACT, f.str("exact", ""));
        }
        if (f.has("prefix")) {
            return new StringMatch(Kind.PREFIX, f.str("prefix", ""));
        }
        String re = f.str("regex", "");
        try {
            Pattern.compile(re);
        } catch (PatternSyntaxException e) {
            throw f.error("regex", "not a valid regular expression: " + e.getDescription());
        }
        return new StringMatch(Kind.REGEX, re);
    }
}
