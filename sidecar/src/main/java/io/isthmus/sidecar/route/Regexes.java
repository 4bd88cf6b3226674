package io.isthmus.sidecar.route;

import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Compiled regular expressions of the configuration (route paths, header and SAN matchers), shared so that a
 * request is matched without compiling anything. The records that hold the expressions keep them as text (their
 * equality is the configuration's); this cache turns the text into a {@link Pattern} once. It holds at most
 * {@link #MAX} expressions and starts over when full, so configuration churn cannot grow it without bound.
 * Safe for concurrent use.
 */
public final class Regexes {

    /** The most expressions kept at once. */
    static final int MAX = 4096;

    private static final ConcurrentHashMap<String, Pattern> COMPILED = new ConcurrentHashMap<>();

    private Regexes() {
    }

    /** The compiled form of {@code regex}; throws {@link java.util.regex.PatternSyntaxException} when it is invalid. */
    public static Pattern compiled(String regex) {
        Pattern p = COMPILED.get(regex);
        if (p != null) {
            return p;
        }
        if (COMPILED.size() >= MAX) {
            COMPILED.clear();
        }
        return COMPILED.computeIfAbsent(regex, Pattern::compile);
    }

    /** How many expressions are kept now. */
    static int size() {
        return COMPILED.size();
    }

    /** Whether the whole of {@code input} matches {@code regex} (Envoy's {@code safe_regex} semantics). */
    public static boolean matches(String regex, CharSequence input) {
        return compiled(regex).matcher(input).matches();
    }
}
