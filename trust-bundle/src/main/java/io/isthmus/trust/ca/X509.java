package io.isthmus.trust.ca;

import io.isthmus.trust.KeyAlgorithm;
import io.isthmus.trust.TrustException;
import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Shared steps of building and signing an X.509 certificate (serials, names, key identifiers). */
final class X509 {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final JcaX509CertificateConverter CONVERTER = new JcaX509CertificateConverter();

    private X509() {
    }

    /** A random positive 128-bit serial number (RFC 5280: positive, at most 20 octets). */
    static BigInteger serial() {
        BigInteger s;
        do {
            s = new BigInteger(128, RANDOM);
        } while (s.signum() == 0);
        return s;
    }

    static X500Name name(CaSpec spec) {
        X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
        b.addRDN(BCStyle.O, spec.organization());
        if (spec.locality() != null) {
            b.addRDN(BCStyle.L, spec.locality());
        }
        b.addRDN(BCStyle.CN, spec.commonName());
        return b.build();
    }

    static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, Instant notBefore, Instant notAfter,
            PublicKey subjectKey, X509Certificate issuerCert) {
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial(), Date.from(notBefore),
                    Date.from(notAfter), subject, subjectKey);
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
            b.addExtension(Extension.authorityKeyIdentifier, false, issuerCert == null
                    ? ext.createAuthorityKeyIdentifier(subjectKey)
                    : authorityKeyId(ext, issuerCert));
            return b;
        } catch (Exception e) {
            throw new TrustException("cannot prepare certificate for " + subject + ": " + e.getMessage(), e);
        }
    }

    /**
     * The AKI of a certificate issued by {@code issuer}: the issuer's own SKI when it has one (so that CAs made
     * elsewhere chain correctly), else the hash of its key. Key id only, no issuer name and serial, so that a
     * re-issued or cross-signed CA certificate with the same key still matches.
     */
    private static AuthorityKeyIdentifier authorityKeyId(JcaX509ExtensionUtils ext, X509Certificate issuer)
            throws java.io.IOException {
        byte[] raw = issuer.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (raw != null) {
            byte[] id = SubjectKeyIdentifier.getInstance(JcaX509ExtensionUtils.parseExtensionValue(raw)).getKeyIdentifier();
            return new AuthorityKeyIdentifier(id);
        }
        return ext.createAuthorityKeyIdentifier(issuer.getPublicKey());
    }

    static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) {
        try {
            ContentSigner cs = new JcaContentSignerBuilder(KeyAlgorithm.of(signer).signatureAlgorithm())
                    .setProvider(KeyAlgorithm.signatureProvider()).build(signer);
            return CONVERTER.getCertificate(b.build(cs));
        } catch (Exception e) {
            throw new TrustException("cannot sign certificate: " + e.getMessage(), e);
        }
    }
}
