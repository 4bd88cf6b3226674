package io.isthmus.trust;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

/** Small facts about X.509 certificates used across the module: SANs, SPIFFE IDs, fingerprints, key match. */
public final class Certificates {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** GeneralName tag numbers as in RFC 5280. */
    public static final int SAN_DNS = 2;
    /** URI GeneralName tag. */
    public static final int SAN_URI = 6;
    /** IP address GeneralName tag. */
    public static final int SAN_IP = 7;

    private Certificates() {
    }

    /** The URI SANs of a certificate, in order. */
    public static List<String> uriSans(X509Certificate cert) {
        return sans(cert, SAN_URI);
    }

    /** The DNS SANs of a certificate, in order. */
    public static List<String> dnsSans(X509Certificate cert) {
        return sans(cert, SAN_DNS);
    }

    /** The IP address SANs of a certificate, in order. */
    public static List<String> ipSans(X509Certificate cert) {
        return sans(cert, SAN_IP);
    }

    /** Every SAN as {@code TYPE:value} (e.g. {@code URI:spiffe://...}, {@code DNS:host}). */
    public static List<String> describeSans(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        for (List<?> san : allSans(cert)) {
            int tag = (Integer) san.get(0);
            String type = switch (tag) {
                case SAN_DNS -> "DNS";
                case SAN_URI -> "URI";
                case SAN_IP -> "IP";
                case 1 -> "email";
                default -> "type" + tag;
            };
            out.add(type + ":" + san.get(1));
        }
        return out;
    }

    /**
     * The SPIFFE ID of an X.509-SVID: its single URI SAN. Throws {@link TrustException} when the certificate
     * has no URI SAN, more than one, or one that is not a valid SPIFFE ID.
     */
    public static SpiffeId spiffeId(X509Certificate cert) {
        List<String> uris = uriSans(cert);
        if (uris.isEmpty()) {
            throw new TrustException("certificate " + subject(cert) + " has no URI SAN, so no SPIFFE ID");
        }
        if (uris.size() > 1) {
            throw new TrustException("certificate " + subject(cert) + " has " + uris.size()
                    + " URI SANs " + uris + "; an X.509-SVID has exactly one");
        }
        return SpiffeId.parse(uris.get(0));
    }

    /** The subject DN, or {@code (empty subject)} for an SVID with only a SAN. */
    public static String subject(X509Certificate cert) {
        String s = cert.getSubjectX500Principal().getName();
        return s.isEmpty() ? "(empty subject, serial " + cert.getSerialNumber().toString(16) + ")" : s;
    }

    /** True when the certificate is a CA (basicConstraints cA=true). */
    public static boolean isCa(X509Certificate cert) {
        return cert.getBasicConstraints() >= 0;
    }

    /** The SHA-256 fingerprint of the DER encoding, as colon-separated upper-case hex. */
    public static String sha256Fingerprint(X509Certificate cert) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
        } catch (GeneralSecurityException e) {
            throw new TrustException("cannot fingerprint " + subject(cert) + ": " + e.getMessage(), e);
        }
    }

    /** True when {@code key} is the private half of {@code publicKey}. */
    public static boolean keyMatches(PrivateKey key, PublicKey publicKey) {
        if (key instanceof RSAPrivateCrtKey rsa && publicKey instanceof RSAPublicKey pub) {
            return rsa.getModulus().equals(pub.getModulus()) && rsa.getPublicExponent().equals(pub.getPublicExponent());
        }
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())
                && !(key.getAlgorithm().startsWith("EC") && publicKey.getAlgorithm().startsWith("EC"))) {
            return false;
        }
        try {
            String alg = KeyAlgorithm.of(publicKey).signatureAlgorithm();
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            // The JDK's own provider: a proxy checks its key once per certificate, and BouncyCastle's provider
            // object would cost it ~700 classes (metaspace and heap) for that one signature.
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(publicKey);
            v.update(challenge);
            return v.verify(sig);
        } catch (GeneralSecurityException | TrustException e) {
            return false;
        }
    }

    private static List<String> sans(X509Certificate cert, int tag) {
        List<String> out = new ArrayList<>();
        for (List<?> san : allSans(cert)) {
            if ((Integer) san.get(0) == tag) {
                out.add(String.valueOf(san.get(1)));
            }
        }
        return out;
    }

    private static Collection<List<?>> allSans(X509Certificate cert) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            return sans == null ? List.of() : sans;
        } catch (CertificateParsingException e) {
            throw new TrustException("certificate " + subject(cert) + " has a malformed SAN extension: "
                    + e.getMessage(), e);
        }
    }
}
