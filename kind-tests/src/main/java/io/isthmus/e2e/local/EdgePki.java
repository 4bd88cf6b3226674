package io.isthmus.e2e.local;

import io.isthmus.trust.pem.Pem;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * Certificates of the world outside the mesh, from CAs that are not the mesh root: the CA that
 * signs what the ingress gateway shows clients ({@code bookinfo.example.test}...), delivered as
 * Kubernetes TLS Secrets, and the CA of external services ({@code api.external.test}), which the
 * egress gateway verifies when it originates TLS. EC P-256, made in-process with BouncyCastle.
 */
public final class EdgePki {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration LIFETIME = Duration.ofDays(2);

    /** A certificate and its key, PEM. */
    public record Issued(String certPem, String keyPem, X509Certificate cert) {
    }

    /** One CA: its certificate and the means to issue leaves. */
    public static final class Authority {
        private final String name;
        private final KeyPair keys;
        private final X509Certificate cert;

        private Authority(String name, KeyPair keys, X509Certificate cert) {
            this.name = name;
            this.keys = keys;
            this.cert = cert;
        }

        /** A new self-signed CA named {@code commonName}. */
        public static Authority create(String commonName) {
            KeyPair k = keyPair();
            X500Name subject = new X500Name("O=Isthmus test,CN=" + commonName);
            try {
                X509v3CertificateBuilder b = builder(subject, subject, k, k);
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
                return new Authority(commonName, k, sign(b, k));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot build the CA " + commonName, e);
            }
        }

        /** A server leaf for these DNS names (the first is its common name), new key and serial each time. */
        public Issued issue(String... dnsNames) {
            KeyPair k = keyPair();
            try {
                X509v3CertificateBuilder b = builder(new X500Name("O=Isthmus test,CN=" + name),
                        new X500Name("O=Isthmus test,CN=" + dnsNames[0]), k, keys);
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                b.addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                        List.of(dnsNames).stream().map(d -> new GeneralName(GeneralName.dNSName, d)).toArray(GeneralName[]::new)));
                X509Certificate c = sign(b, keys);
                return new Issued(Pem.encode(c), Pem.encodePrivateKey(k.getPrivate()), c);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot issue a certificate for " + List.of(dnsNames), e);
            }
        }

        /** The CA certificate. */
        public X509Certificate cert() {
            return cert;
        }

        /** The CA certificate, PEM. */
        public String certPem() {
            return Pem.encode(cert);
        }

        /** Writes the CA certificate to {@code file}; returns it. */
        public Path writeCert(Path file) {
            try {
                Files.createDirectories(file.getParent());
                Files.writeString(file, certPem());
                return file;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }
    }

    private EdgePki() {
    }

    /** Writes a leaf's {@code cert.pem} and {@code key.pem} under {@code dir}. */
    public static void write(Issued leaf, Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("cert.pem"), leaf.certPem());
            Files.writeString(dir.resolve("key.pem"), leaf.keyPem());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the certificate files under " + dir, e);
        }
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair subjectKeys, KeyPair issuerKeys)
            throws IOException {
        try {
            Instant now = Instant.now();
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(LIFETIME)), subject, subjectKeys.getPublic());
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKeys.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerKeys.getPublic()));
            return b;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a certificate for " + subject + ": " + e.getMessage(), e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuer) {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(b.build(signer));
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot sign a certificate: " + e.getMessage(), e);
        }
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 here: " + e.getMessage(), e);
        }
    }
}
