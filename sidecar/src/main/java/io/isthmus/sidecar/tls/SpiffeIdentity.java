package io.isthmus.sidecar.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** Reads SPIFFE identities from certificates. */
public final class SpiffeIdentity {

    private static final int URI_SAN = 6;

    private SpiffeIdentity() {
    }

    /** The first {@code spiffe://} URI SAN of the certificate. */
    public static Optional<String> uriSan(X509Certificate cert) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans == null) {
                return Optional.empty();
            }
            for (List<?> san : sans) {
                if (san.size() >= 2 && Integer.valueOf(URI_SAN).equals(san.get(0))
                        && san.get(1) instanceof String uri && uri.startsWith("spiffe://")) {
                    return Optional.of(uri);
                }
            }
            return Optional.empty();
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
    }

    /** The namespace of a {@code spiffe://td/ns/<ns>/sa/<sa>} ID, or empty text. */
    public static String namespace(String spiffeId) {
        int ns = spiffeId.indexOf("/ns/");
        if (ns < 0) {
            return "";
        }
        int end = spiffeId.indexOf('/', ns + 4);
        return end < 0 ? spiffeId.substring(ns + 4) : spiffeId.substring(ns + 4, end);
    }

    /** The principal in Istio's spelling: the SPIFFE ID without {@code spiffe://}. */
    public static String principal(String spiffeId) {
        return spiffeId.startsWith("spiffe://") ? spiffeId.substring("spiffe://".length()) : spiffeId;
    }
}
