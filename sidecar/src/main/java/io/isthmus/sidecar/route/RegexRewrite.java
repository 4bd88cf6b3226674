package io.isthmus.sidecar.route;

import java.util.Objects;
import java.util.regex.Matcher;

/**
 * A route's {@code regex_rewrite} (Envoy's {@code RegexMatchAndSubstitute}): every match of {@code pattern} in the
 * request's path (not its query) is replaced by {@code substitution}, in which {@code \1}..{@code \9} stand for the
 * match's groups and {@code \\} for a backslash, as in Envoy's RE2 syntax.
 *
 * @param pattern the regular expression
 * @param substitution the replacement, in Envoy's syntax
 */
public record RegexRewrite(String pattern, String substitution) {

    public RegexRewrite {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(substitution, "substitution");
        int groups = Regexes.compiled(pattern).matcher("").groupCount();
        for (int i = 0; i < substitution.length(); i++) {
            if (substitution.charAt(i) == '\\') {
                if (i + 1 >= substitution.length()) {
                    throw new IllegalArgumentException("substitution ends with a lone backslash");
                }
                char c = substitution.charAt(++i);
                if (Character.isDigit(c) && c - '0' > groups) {
                    throw new IllegalArgumentException("substitution names group \\" + c + ", the pattern has " + groups);
                }
                if (!Character.isDigit(c) && c != '\\') {
                    throw new IllegalArgumentException("substitution has an unknown escape \\" + c);
                }
            }
        }
    }

    /** The path with every match replaced. */
    public String apply(String path) {
        return Regexes.compiled(pattern).matcher(path).replaceAll(m -> Matcher.quoteReplacement(expand(m)));
    }

    private String expand(java.util.regex.MatchResult m) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < substitution.length(); i++) {
            char c = substitution.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char next = substitution.charAt(++i);
            if (Character.isDigit(next)) {
                String g = m.group(next - '0');
                out.append(g == null ? "" : g);
            } else {
                out.append(next);
            }
        }
        return out.toString();
    }
}
