package io.isthmus.trust;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * A SPIFFE ID ({@code spiffe://<trust-domain>/<path>}), validated per the SPIFFE ID specification.
 *
 * <p>The trust domain holds only lowercase letters, digits, {@code .}, {@code -} and {@code _};
 * the path, when present, is a sequence of non-empty segments of letters, digits, {@code .},
 * {@code -} and {@code _}, none of them {@code .} or {@code ..}, with no trailing slash. No port,
 * user info, query or fragment.
 *
 * @param trustDomain the trust domain name, e.g. {@code cluster.local}
 * @param path the path with its leading slash, or {@code ""} for the trust domain's own ID
 */
public record SpiffeId(String trustDomain, String path) {

    /** The trust domain of a mesh that does not configure one. */
    public static final String DEFAULT_TRUST_DOMAIN = "cluster.local";

    private static final String PREFIX = "spiffe://";
    private static final int MAX_TRUST_DOMAIN_LENGTH = 255;
    private static final int MAX_LENGTH = 2048;

    public SpiffeId {
        Objects.requireNonNull(trustDomain, "trustDomain");
        Objects.requireNonNull(path, "path");
        String shown = PREFIX + trustDomain + path;
        checkTrustDomain(shown, trustDomain);
        checkPath(shown, path);
        if (shown.length() > MAX_LENGTH) {
            throw new InvalidSpiffeIdException(abbreviate(shown), "longer than " + MAX_LENGTH + " characters");
        }
    }

    /** Parses {@code spiffe://td/path}, throwing {@link InvalidSpiffeIdException} with the precise rule broken. */
    public static SpiffeId parse(String input) {
        if (input == null || input.isEmpty()) {
            throw new InvalidSpiffeIdException(String.valueOf(input), "cannot be empty");
        }
        if (!input.startsWith(PREFIX)) {
            int colon = input.indexOf(':');
            if (colon > 0 && input.substring(0, colon).equalsIgnoreCase("spiffe")) {
                if (!input.substring(colon).startsWith("://")) {
                    throw new InvalidSpiffeIdException(input, "scheme must be followed by '://'");
                }
                throw new InvalidSpiffeIdException(input, "scheme must be lowercase 'spiffe'");
            }
            throw new InvalidSpiffeIdException(input, "scheme is missing or is not 'spiffe://'");
        }
        String rest = input.substring(PREFIX.length());
        int q = rest.indexOf('?');
        if (q >= 0) {
            throw new InvalidSpiffeIdException(input, "query is not allowed");
        }
        int f = rest.indexOf('#');
        if (f >= 0) {
            throw new InvalidSpiffeIdException(input, "fragment is not allowed");
        }
        int slash = rest.indexOf('/');
        String td = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash);
        if (td.contains("@")) {
            throw new InvalidSpiffeIdException(input, "user info is not allowed");
        }
        if (td.contains(":")) {
            throw new InvalidSpiffeIdException(input, "port is not allowed");
        }
        return new SpiffeId(td, path);
    }

    /** The Istio workload identity {@code spiffe://<td>/ns/<namespace>/sa/<serviceAccount>}. */
    public static SpiffeId of(String trustDomain, String namespace, String serviceAccount) {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(serviceAccount, "serviceAccount");
        if (namespace.contains("/") || serviceAccount.contains("/")) {
            throw new InvalidSpiffeIdException("spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount,
                    "namespace and service account must not contain '/'");
        }
        return new SpiffeId(trustDomain, "/ns/" + namespace + "/sa/" + serviceAccount);
    }

    /** The namespace when this ID has Istio's {@code /ns/<ns>/sa/<sa>} form. */
    public Optional<String> namespace() {
        String[] s = istioSegments();
        return s == null ? Optional.empty() : Optional.of(s[1]);
    }

    /** The service account when this ID has Istio's {@code /ns/<ns>/sa/<sa>} form. */
    public Optional<String> serviceAccount() {
        String[] s = istioSegments();
        return s == null ? Optional.empty() : Optional.of(s[3]);
    }

    /** True when this ID belongs to {@code otherTrustDomain}. */
    public boolean memberOf(String otherTrustDomain) {
        return trustDomain.equals(otherTrustDomain);
    }

    /** This ID as a {@link URI}, as it appears in a certificate's URI SAN. */
    public URI toUri() {
        return URI.create(toString());
    }

    @Override
    public String toString() {
        return PREFIX + trustDomain + path;
    }

    private String[] istioSegments() {
        String[] s = path.length() > 1 ? path.substring(1).split("/") : new String[0];
        return s.length == 4 && s[0].equals("ns") && s[2].equals("sa") ? s : null;
    }

    private static void checkTrustDomain(String shown, String td) {
        if (td.isEmpty()) {
            throw new InvalidSpiffeIdException(shown, "trust domain is missing");
        }
        if (td.length() > MAX_TRUST_DOMAIN_LENGTH) {
            throw new InvalidSpiffeIdException(abbreviate(shown),
                    "trust domain is longer than " + MAX_TRUST_DOMAIN_LENGTH + " characters");
        }
        for (int i = 0; i < td.length(); i++) {
            char c = td.charAt(i);
            if (c == ':') {
                throw new InvalidSpiffeIdException(shown, "port is not allowed");
            }
            if (c == '@') {
                throw new InvalidSpiffeIdException(shown, "user info is not allowed");
            }
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')) {
                throw new InvalidSpiffeIdException(shown, "trust domain character '" + c + "' at position " + i
                        + " is not allowed (only lowercase letters, digits, '.', '-' and '_')");
            }
        }
    }

    private static void checkPath(String shown, String path) {
        if (path.isEmpty()) {
            return;
        }
        if (path.charAt(0) != '/') {
            throw new InvalidSpiffeIdException(shown, "path must start with '/'");
        }
        if (path.endsWith("/")) {
            throw new InvalidSpiffeIdException(shown, "path must not end with '/'");
        }
        String[] segments = path.substring(1).split("/", -1);
        for (String seg : segments) {
            if (seg.isEmpty()) {
                throw new InvalidSpiffeIdException(shown, "path must not contain empty segments ('//')");
            }
            if (seg.equals(".") || seg.equals("..")) {
                throw new InvalidSpiffeIdException(shown, "path must not contain '.' or '..' segments");
            }
            for (int i = 0; i < seg.length(); i++) {
                char c = seg.charAt(i);
                if (c == '?') {
                    throw new InvalidSpiffeIdException(shown, "query is not allowed");
                }
                if (c == '#') {
                    throw new InvalidSpiffeIdException(shown, "fragment is not allowed");
                }
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '.' || c == '-' || c == '_')) {
                    throw new InvalidSpiffeIdException(shown, "path character '" + c + "' in segment '" + seg
                            + "' is not allowed (only letters, digits, '.', '-' and '_')");
                }
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
