package io.isthmus.trust.testing;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.KeyAlgorithm;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Hand-made certificates that the CA would never issue (no URI SAN, two URI SANs, a CA below a CA that allows
 * none), for testing what verifiers refuse.
 */
public final class TestCertificates {
    private TestCertificates() {
    }

    /** A leaf signed by {@code issuer} with the given SANs; chain = leaf + issuer's chain. */
    public static CertifiedKey leaf(CertifiedKey issuer, List<GeneralName> sans) {
        return sign(issuer, new X500Name("O=Test"), sans, false);
    }

    /** A CA certificate (pathLen 0) signed by {@code issuer}, no SANs. */
    public static CertifiedKey subCa(CertifiedKey issuer, String cn) {
        return sign(issuer, new X500Name("CN=" + cn + ",O=Test"), List.of(), true);
    }

    /** A URI GeneralName. */
    public static GeneralName uri(String s) {
        return new GeneralName(GeneralName.uniformResourceIdentifier, s);
    }

    /** A DNS GeneralName. */
    public static GeneralName dns(String s) {
        return new GeneralName(GeneralName.dNSName, s);
    }

    private static CertifiedKey sign(CertifiedKey issuer, X500Name subject, List<GeneralName> sans, boolean ca) {
        try {
            KeyPair kp = KeyAlgorithm.EC_P256.generate();
            Instant now = Instant.now();
            X509Certificate ic = issuer.certificate();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    new JcaX509CertificateHolder(ic).getSubject(), BigInteger.valueOf(now.toEpochMilli()),
                    Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofHours(1))), subject, kp.getPublic());
            JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
            b.addExtension(Extension.authorityKeyIdentifier, false, u.createAuthorityKeyIdentifier(ic.getPublicKey()));
            b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(kp.getPublic()));
            b.addExtension(Extension.basicConstraints, true, ca ? new BasicConstraints(0) : new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(ca
                    ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.privateKey())));
            List<X509Certificate> chain = new ArrayList<>();
            chain.add(cert);
            chain.addAll(issuer.chain());
            return new CertifiedKey(kp.getPrivate(), chain);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
