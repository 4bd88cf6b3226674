package io.isthmus.trust;

import io.isthmus.trust.pem.Pem;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** PKCS#10 certificate signing requests for workload identities, as a proxy's CA client sends them. */
public final class Csr {

    /**
     * A freshly generated private key and the CSR that asks for a certificate of its public key.
     *
     * @param privateKey the key, which never leaves the proxy
     * @param csr the signed request
     */
    public record KeyAndCsr(PrivateKey privateKey, PKCS10CertificationRequest csr) {
        public KeyAndCsr {
            Objects.requireNonNull(privateKey, "privateKey");
            Objects.requireNonNull(csr, "csr");
        }

        /** The CSR as PEM, the form Istio's {@code IstioCertificateRequest.csr} carries. */
        public String pem() {
            return Pem.encodeCsr(csr);
        }

        /** Joins the key with the chain the CA returned, checking that the leaf certifies this key. */
        public CertifiedKey complete(List<X509Certificate> chain) {
            return new CertifiedKey(privateKey, chain);
        }

        /** Joins the key with the PEM chain the CA returned (Istio's {@code cert_chain} entries, concatenated). */
        public CertifiedKey complete(String chainPem) {
            return complete(Pem.readCertificates(chainPem));
        }
    }

    private Csr() {
    }

    /** Generates an EC P-256 key and a CSR whose only SAN is {@code id}. */
    public static KeyAndCsr generate(SpiffeId id) {
        return generate(id, KeyAlgorithm.EC_P256);
    }

    /** Generates a key of the given type and a CSR whose only SAN is {@code id}. */
    public static KeyAndCsr generate(SpiffeId id, KeyAlgorithm algorithm) {
        KeyPair kp = algorithm.generate();
        return new KeyAndCsr(kp.getPrivate(), build(kp, List.of(new GeneralName(
                GeneralName.uniformResourceIdentifier, id.toString())), null));
    }

    /**
     * Builds a CSR for an existing key pair with arbitrary SANs and optional extra extensions; used to
     * produce requests the CA must refuse, and by tools.
     */
    public static PKCS10CertificationRequest build(KeyPair keyPair, List<GeneralName> sans, ExtensionsGenerator extra) {
        try {
            PKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(new X500Name(""),
                    keyPair.getPublic());
            ExtensionsGenerator ext = extra == null ? new ExtensionsGenerator() : extra;
            if (!sans.isEmpty()) {
                ext.addExtension(Extension.subjectAlternativeName, true,
                        new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            if (!ext.isEmpty()) {
                b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
            }
            // Signed by the JDK's own provider: a proxy signs one CSR per certificate, and loading BouncyCastle's
            // provider object for it would cost every proxy ~700 classes of metaspace and heap.
            return b.build(new JcaContentSignerBuilder(KeyAlgorithm.of(keyPair.getPublic()).signatureAlgorithm())
                    .build(keyPair.getPrivate()));
        } catch (Exception e) {
            throw new TrustException("cannot build CSR: " + e.getMessage(), e);
        }
    }

    /** Parses a PEM CSR. */
    public static PKCS10CertificationRequest parse(String pem) {
        return Pem.readCsr(pem);
    }
}
