package io.isthmus.trust.ca;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.Certificates;
import io.isthmus.trust.TrustException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;

/** Creates CA certificates: the self-signed mesh root and the intermediates it signs (one per cluster). */
public final class CaFactory {
    /** How far notBefore of a new CA is set back, so that peers with slightly slow clocks accept it. */
    static final Duration CA_BACKDATE = Duration.ofMinutes(5);

    private CaFactory() {
    }

    /** Creates a self-signed root CA with the system clock. */
    public static CertifiedKey createRoot(CaSpec spec) {
        return createRoot(spec, Clock.systemUTC());
    }

    /** Creates a self-signed root: basicConstraints CA with the spec's path length, keyCertSign + cRLSign. */
    public static CertifiedKey createRoot(CaSpec spec, Clock clock) {
        KeyPair kp = spec.algorithm().generate();
        Instant now = clock.instant();
        X500Name name = X509.name(spec);
        X509v3CertificateBuilder b = X509.builder(name, name, now.minus(CA_BACKDATE), now.plus(spec.validity()),
                kp.getPublic(), null);
        addCaExtensions(b, spec.pathLength());
        return new CertifiedKey(kp.getPrivate(), List.of(X509.sign(b, kp.getPrivate())));
    }

    /** Creates an intermediate CA signed by {@code issuer} with the system clock. */
    public static CertifiedKey createIntermediate(CertifiedKey issuer, CaSpec spec) {
        return createIntermediate(issuer, spec, Clock.systemUTC());
    }

    /**
     * Creates an intermediate CA signed by {@code issuer} (a root or another intermediate). Its validity is cut
     * to the issuer's notAfter; the returned chain is the new certificate followed by the issuer's chain.
     */
    public static CertifiedKey createIntermediate(CertifiedKey issuer, CaSpec spec, Clock clock) {
        X509Certificate issuerCert = issuer.certificate();
        if (issuerCert.getBasicConstraints() < 0) {
            throw new TrustException("cannot sign an intermediate with " + Certificates.subject(issuerCert)
                    + ": it is not a CA certificate");
        }
        Instant now = clock.instant();
        if (now.isAfter(issuerCert.getNotAfter().toInstant())) {
            throw new TrustException("cannot sign an intermediate with " + Certificates.subject(issuerCert)
                    + ": it expired at " + issuerCert.getNotAfter().toInstant());
        }
        KeyPair kp = spec.algorithm().generate();
        Instant notAfter = now.plus(spec.validity());
        if (notAfter.isAfter(issuerCert.getNotAfter().toInstant())) {
            notAfter = issuerCert.getNotAfter().toInstant();
        }
        X500Name issuerName = holder(issuerCert).getSubject();
        X509v3CertificateBuilder b = X509.builder(issuerName, X509.name(spec), now.minus(CA_BACKDATE), notAfter,
                kp.getPublic(), issuerCert);
        addCaExtensions(b, spec.pathLength());
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(X509.sign(b, issuer.privateKey()));
        chain.addAll(issuer.chain());
        return new CertifiedKey(kp.getPrivate(), chain);
    }

    private static JcaX509CertificateHolder holder(X509Certificate c) {
        try {
            return new JcaX509CertificateHolder(c);
        } catch (Exception e) {
            throw new TrustException("cannot read certificate " + Certificates.subject(c) + ": " + e.getMessage(), e);
        }
    }

    private static void addCaExtensions(X509v3CertificateBuilder b, int pathLength) {
        try {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLength));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } catch (Exception e) {
            throw new TrustException("cannot add CA extensions: " + e.getMessage(), e);
        }
    }
}
