package io.isthmus.gateway;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A mesh root and SPIFFE workload certificates for tests: EC P-256, one URI SAN each. */
public final class TestPki {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyPair rootKey;
    private final X509Certificate root;

    private TestPki(KeyPair rootKey, X509Certificate root) {
        this.rootKey = rootKey;
        this.root = root;
    }

    /** A new root CA. */
    public static TestPki create() throws Exception {
        KeyPair key = ecKey();
        X500Name name = new X500Name("O=cluster.local,CN=Test Root CA");
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(64, RANDOM),
                Date.from(Instant.now().minusSeconds(60)), Date.from(Instant.now().plus(Duration.ofDays(1))), name, key.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return new TestPki(key, sign(b, key));
    }

    public X509Certificate root() {
        return root;
    }

    /** A workload's key material: its certificate for one SPIFFE ID, trusting only this root. */
    public record Workload(KeyManagerFactory keys, TrustManagerFactory trust) {
        /** A JDK SSL context over this material. */
        public SSLContext sslContext() throws Exception {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys.getKeyManagers(), trust.getTrustManagers(), RANDOM);
            return ctx;
        }
    }

    /** A JDK SSL context holding a workload certificate for {@code spiffeId} and trusting only this root. */
    public SSLContext workload(String spiffeId) throws Exception {
        return material(spiffeId).sslContext();
    }

    /** Key material for a workload certificate for {@code spiffeId}. */
    public Workload material(String spiffeId) throws Exception {
        KeyPair key = ecKey();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("O=cluster.local,CN=Test Root CA"),
                new BigInteger(64, RANDOM), Date.from(Instant.now().minusSeconds(60)), Date.from(Instant.now().plus(Duration.ofHours(1))),
                new X500Name(""), key.getPublic());
        b.addExtension(Extension.subjectAlternativeName, true,
                new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        X509Certificate leaf = sign(b, rootKey);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("leaf", key.getPrivate(), new char[0], new X509Certificate[] {leaf, root});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("root", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return new Workload(kmf, tmf);
    }

    /** Key material from a key and chain (e.g. issued by trust-bundle's CA), trusting {@code root}. */
    public static Workload material(java.security.PrivateKey key, java.util.List<X509Certificate> chain, X509Certificate root) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("leaf", key, new char[0], chain.toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("root", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return new Workload(kmf, tmf);
    }

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, KeyPair issuer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    }
}
