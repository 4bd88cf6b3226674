package io.isthmus.sidecar.cert;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** PEM reading and writing of certificates and private keys (PKCS#8, SEC1 EC and PKCS#1 RSA keys). */
public final class Pem {

    private Pem() {
    }

    /** Every certificate in {@code pem}, in order; {@code what} names the input in errors. */
    public static List<X509Certificate> certificates(String pem, String what) {
        List<X509Certificate> out = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof X509CertificateHolder h) {
                    out.add(new JcaX509CertificateConverter().getCertificate(h));
                }
            }
        } catch (IOException | java.security.cert.CertificateException | RuntimeException e) {
            throw new CertificateException(what + ": not valid PEM certificates: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new CertificateException(what + ": no PEM certificate found");
        }
        return List.copyOf(out);
    }

    /** The first private key in {@code pem}. */
    public static PrivateKey privateKey(String pem, String what) {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            while ((o = parser.readObject()) != null) {
                if (o instanceof PEMKeyPair kp) {
                    return conv.getKeyPair(kp).getPrivate();
                }
                if (o instanceof PrivateKeyInfo info) {
                    return conv.getPrivateKey(info);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new CertificateException(what + ": not a valid PEM private key: " + e.getMessage(), e);
        }
        throw new CertificateException(what + ": no PEM private key found");
    }

    /** Certificates as concatenated PEM. */
    public static String encode(List<X509Certificate> certs) {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
            for (X509Certificate c : certs) {
                pw.writeObject(c);
            }
        } catch (IOException e) {
            throw new CertificateException("cannot encode certificates: " + e.getMessage(), e);
        }
        return w.toString();
    }

    /** A private key as PKCS#8 PEM. */
    public static String encode(PrivateKey key) {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
            pw.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
        } catch (IOException e) {
            throw new CertificateException("cannot encode private key: " + e.getMessage(), e);
        }
        return w.toString();
    }

    /** The first {@code spiffe://} URI SAN of a certificate, "" when it has none. */
    public static String spiffeId(X509Certificate cert) {
        try {
            var sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(6).equals(san.get(0)) && String.valueOf(san.get(1)).startsWith("spiffe://")) {
                        return String.valueOf(san.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return "";
        }
        return "";
    }

    /** The DNS SANs of a certificate. */
    public static List<String> dnsNames(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            var sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        out.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return List.of();
        }
        return out;
    }

    /** A {@link WorkloadCertificate} from a key and a chain. */
    public static WorkloadCertificate workload(PrivateKey key, List<X509Certificate> chain) {
        return new WorkloadCertificate(key, chain, encode(key), encode(chain), spiffeId(chain.get(0)));
    }

    /** {@link TrustAnchors} from PEM text. */
    public static TrustAnchors anchors(String pem, String source) {
        List<X509Certificate> roots = certificates(pem, source);
        return new TrustAnchors(roots, encode(roots), source);
    }
}
