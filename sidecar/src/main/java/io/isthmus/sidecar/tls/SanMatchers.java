package io.isthmus.sidecar.tls;

import java.util.List;
import java.util.Objects;

/**
 * The identities a peer may present, from {@code match_typed_subject_alt_names} of a validation
 * context; empty means any identity of the trust domain.
 *
 * @param matchers the alternatives; a peer matches when any matches its URI SAN
 */
public record SanMatchers(List<SanMatcher> matchers) {

    /** Any identity of the trust domain. */
    public static final SanMatchers ANY = new SanMatchers(List.of());

    public SanMatchers {
        matchers = List.copyOf(matchers);
    }

    /** True when the SPIFFE ID is acceptable. */
    public boolean matches(String spiffeId) {
        if (matchers.isEmpty()) {
            return true;
        }
        for (SanMatcher m : matchers) {
            if (m.matches(spiffeId)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return matchers.toString();
    }

    /** How one matcher compares. */
    public enum Kind { EXACT, PREFIX, SUFFIX, CONTAINS, REGEX }

    /**
     * One expected-identity matcher.
     *
     * @param kind how {@code value} is compared
     * @param value the text (or regular expression) to compare the URI SAN with
     */
    public record SanMatcher(Kind kind, String value) {
        public SanMatcher {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(value, "value");
            if (kind == Kind.REGEX) {
                io.isthmus.sidecar.route.Regexes.compiled(value);
            }
        }

        /** True when the identity matches. */
        public boolean matches(String id) {
            return switch (kind) {
                case EXACT -> id.equals(value);
                case PREFIX -> id.startsWith(value);
                case SUFFIX -> id.endsWith(value);
                case CONTAINS -> id.contains(value);
                case REGEX -> io.isthmus.sidecar.route.Regexes.matches(value, id);
            };
        }

        @Override
        public String toString() {
            return kind.name().toLowerCase() + ":" + value;
        }
    }
}
