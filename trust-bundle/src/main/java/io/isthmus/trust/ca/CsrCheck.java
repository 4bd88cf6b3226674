package io.isthmus.trust.ca;

import io.isthmus.trust.KeyAlgorithm;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.ca.IssuanceRefusedException.Refusal;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/** The checks a CSR must pass before anything is signed: signature, key, CA bit, SANs. */
final class CsrCheck {

    /** A CSR that passed: its public key and the SPIFFE ID it asks for. */
    record Checked(PublicKey publicKey, SpiffeId spiffeId) {
    }

    private CsrCheck() {
    }

    static Checked check(PKCS10CertificationRequest csr) {
        PublicKey key;
        try {
            key = new JcaPKCS10CertificationRequest(csr).getPublicKey();
        } catch (Exception e) {
            throw new IssuanceRefusedException(Refusal.UNSUPPORTED_KEY, "CSR public key cannot be read: " + e.getMessage());
        }
        boolean valid;
        try {
            valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder()
                    .setProvider(KeyAlgorithm.signatureProvider()).build(key));
        } catch (Exception e) {
            throw new IssuanceRefusedException(Refusal.BAD_CSR_SIGNATURE, "CSR signature cannot be checked: " + e.getMessage());
        }
        if (!valid) {
            throw new IssuanceRefusedException(Refusal.BAD_CSR_SIGNATURE,
                    "CSR signature does not verify with the CSR's own public key");
        }
        checkKey(key);
        Extensions ext = csr.getRequestedExtensions();
        if (ext != null) {
            BasicConstraints bc = BasicConstraints.fromExtensions(ext);
            if (bc != null && bc.isCA()) {
                throw new IssuanceRefusedException(Refusal.CA_REQUESTED, "CSR asks for basicConstraints cA=true");
            }
            KeyUsage ku = KeyUsage.fromExtensions(ext);
            if (ku != null && (ku.hasUsages(KeyUsage.keyCertSign) || ku.hasUsages(KeyUsage.cRLSign))) {
                throw new IssuanceRefusedException(Refusal.CA_REQUESTED, "CSR asks for keyCertSign/cRLSign key usage");
            }
        }
        GeneralNames sans = ext == null ? null : GeneralNames.fromExtensions(ext, Extension.subjectAlternativeName);
        List<String> uris = new ArrayList<>();
        List<String> others = new ArrayList<>();
        if (sans != null) {
            for (GeneralName n : sans.getNames()) {
                if (n.getTagNo() == GeneralName.uniformResourceIdentifier) {
                    uris.add(n.getName().toString());
                } else {
                    others.add(describe(n));
                }
            }
        }
        if (!others.isEmpty()) {
            throw new IssuanceRefusedException(Refusal.EXTRA_SAN,
                    "CSR asks for SANs besides the SPIFFE ID: " + String.join(", ", others));
        }
        if (uris.isEmpty()) {
            throw new IssuanceRefusedException(Refusal.MISSING_SPIFFE_ID, "CSR has no URI SAN (SPIFFE ID)");
        }
        if (uris.size() > 1) {
            throw new IssuanceRefusedException(Refusal.EXTRA_SAN,
                    "CSR asks for " + uris.size() + " URI SANs " + uris + "; exactly one SPIFFE ID is allowed");
        }
        try {
            return new Checked(key, SpiffeId.parse(uris.get(0)));
        } catch (TrustException e) {
            throw new IssuanceRefusedException(Refusal.INVALID_SPIFFE_ID, e.getMessage());
        }
    }

    private static void checkKey(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            if (bits < 256) {
                throw new IssuanceRefusedException(Refusal.UNSUPPORTED_KEY, "CSR EC key has only " + bits + " bits");
            }
            return;
        }
        if (key instanceof RSAPublicKey rsa) {
            if (rsa.getModulus().bitLength() < 2048) {
                throw new IssuanceRefusedException(Refusal.UNSUPPORTED_KEY,
                        "CSR RSA key has only " + rsa.getModulus().bitLength() + " bits (at least 2048)");
            }
            return;
        }
        throw new IssuanceRefusedException(Refusal.UNSUPPORTED_KEY, "CSR key type " + key.getAlgorithm()
                + " is not supported (EC or RSA)");
    }

    private static String describe(GeneralName n) {
        String type = switch (n.getTagNo()) {
            case GeneralName.dNSName -> "DNS";
            case GeneralName.iPAddress -> "IP";
            case GeneralName.rfc822Name -> "email";
            case GeneralName.directoryName -> "DirName";
            default -> "type" + n.getTagNo();
        };
        return type + ":" + n.getName();
    }
}
