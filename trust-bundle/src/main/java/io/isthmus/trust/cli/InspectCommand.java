package io.isthmus.trust.cli;

import io.isthmus.trust.Certificates;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.pem.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code isthmus ca inspect}: describes the certificates (or CSR) in a PEM file in plain words. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Describe the certificates (or CSR) in a PEM file in plain words.",
            "For each: what it is (root, intermediate, workload), subject, SANs (the",
            "SPIFFE ID), validity and time left, key, usages, SHA-256 fingerprint, and",
            "which certificate of the file signed it. Private keys are never printed."})
final class InspectCommand extends CaSubcommand {
    private static final String[] KEY_USAGES = {"digitalSignature", "nonRepudiation", "keyEncipherment",
        "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"};

    @Parameters(index = "0", paramLabel = "FILE", description = "PEM file: certificate(s), a chain, or a CSR.")
    Path file;

    @Override
    int execute() {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            err().println("error: " + file + ": no such file");
            return FAILED;
        } catch (IOException e) {
            err().println("error: cannot read " + file + ": " + e.getMessage());
            return FAILED;
        }
        if (text.contains("-----BEGIN CERTIFICATE REQUEST-----")) {
            describeCsr(Pem.readCsr(text));
            return OK;
        }
        if (text.contains("PRIVATE KEY-----") && !text.contains("-----BEGIN CERTIFICATE-----")) {
            throw new TrustException(file + " holds a private key; inspect prints certificates and CSRs only");
        }
        List<X509Certificate> certs = Pem.readCertificates(file);
        out().println(file + ": " + certs.size() + (certs.size() == 1 ? " certificate" : " certificates"));
        for (int i = 0; i < certs.size(); i++) {
            out().println();
            describe(certs, i);
        }
        if (certs.size() > 1) {
            out().println();
            List<String> path = new ArrayList<>();
            for (X509Certificate c : certs) {
                path.add(name(c));
            }
            out().println("Issuer chain: " + String.join("  <-signed by-  ", path));
        }
        return OK;
    }

    private void describe(List<X509Certificate> certs, int i) {
        X509Certificate c = certs.get(i);
        Instant now = Instant.now();
        out().println("Certificate " + (i + 1) + " of " + certs.size() + ": " + kind(c));
        field("Subject", c.getSubjectX500Principal().getName().isEmpty() ? "(empty; the identity is in the SANs)"
                : c.getSubjectX500Principal().getName());
        field("Issuer", c.getIssuerX500Principal().getName());
        List<String> sans = Certificates.describeSans(c);
        field("SANs", sans.isEmpty() ? "none" : String.join(", ", sans));
        field("Serial", c.getSerialNumber().toString(16));
        field("Valid from", c.getNotBefore().toInstant().toString());
        field("Valid until", c.getNotAfter().toInstant() + " (" + timeLeft(c, now) + ")");
        field("Key", key(c.getPublicKey()));
        field("Signature", c.getSigAlgName());
        field("Key usage", usages(c));
        field("Extended key usage", extendedUsages(c));
        field("SHA-256 fingerprint", Certificates.sha256Fingerprint(c));
        field("Signed by", signer(certs, i));
    }

    private void describeCsr(PKCS10CertificationRequest csr) {
        out().println(file + ": certificate signing request");
        field("Subject", csr.getSubject().toString().isEmpty() ? "(empty)" : csr.getSubject().toString());
        var ext = csr.getRequestedExtensions();
        var sans = ext == null ? null : org.bouncycastle.asn1.x509.GeneralNames.fromExtensions(ext,
                org.bouncycastle.asn1.x509.Extension.subjectAlternativeName);
        List<String> names = new ArrayList<>();
        if (sans != null) {
            for (var n : sans.getNames()) {
                names.add((n.getTagNo() == 6 ? "URI:" : n.getTagNo() == 2 ? "DNS:" : "type" + n.getTagNo() + ":")
                        + n.getName());
            }
        }
        field("Requested SANs", names.isEmpty() ? "none" : String.join(", ", names));
        field("Signature algorithm", csr.getSignatureAlgorithm().getAlgorithm().getId());
    }

    private void field(String name, String value) {
        out().printf("  %-20s %s%n", name + ":", value);
    }

    private static String name(X509Certificate c) {
        List<String> uris = Certificates.uriSans(c);
        if (!uris.isEmpty()) {
            return uris.get(0);
        }
        String s = c.getSubjectX500Principal().getName();
        return s.isEmpty() ? "serial " + c.getSerialNumber().toString(16) : s;
    }

    private static String kind(X509Certificate c) {
        boolean selfSigned = c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
        if (Certificates.isCa(c)) {
            String levels = c.getBasicConstraints() == Integer.MAX_VALUE ? "any number of CA levels"
                    : c.getBasicConstraints() + " more CA level" + (c.getBasicConstraints() == 1 ? "" : "s");
            return (selfSigned ? "root CA (self-signed)" : "intermediate CA") + ", may sign certificates with "
                    + levels + " below it";
        }
        List<String> uris = Certificates.uriSans(c);
        if (uris.size() == 1 && uris.get(0).startsWith("spiffe://")) {
            return (Certificates.dnsSans(c).isEmpty() ? "workload certificate (X.509-SVID) for "
                    : "server certificate (X.509-SVID with DNS names) for ") + uris.get(0);
        }
        return "end-entity certificate without a SPIFFE ID";
    }

    private static String timeLeft(X509Certificate c, Instant now) {
        Instant nb = c.getNotBefore().toInstant();
        Instant na = c.getNotAfter().toInstant();
        if (now.isBefore(nb)) {
            return "NOT VALID YET, starts in " + human(Duration.between(now, nb));
        }
        if (now.isAfter(na)) {
            return "EXPIRED " + human(Duration.between(na, now)) + " ago";
        }
        return "valid now, expires in " + human(Duration.between(now, na));
    }

    private static String human(Duration d) {
        long days = d.toDays();
        if (days >= 365) {
            return (days / 365) + " years " + (days % 365) + " days";
        }
        if (days >= 2) {
            return days + " days";
        }
        long hours = d.toHours();
        if (hours >= 1) {
            return hours + " h " + d.toMinutesPart() + " min";
        }
        return d.toMinutes() + " min " + d.toSecondsPart() + " s";
    }

    private static String key(PublicKey k) {
        if (k instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            return "EC " + (bits == 256 ? "P-256" : bits + "-bit curve");
        }
        if (k instanceof RSAPublicKey rsa) {
            return "RSA " + rsa.getModulus().bitLength() + " bits";
        }
        return k.getAlgorithm();
    }

    private static String usages(X509Certificate c) {
        boolean[] ku = c.getKeyUsage();
        if (ku == null) {
            return "not restricted";
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < ku.length && i < KEY_USAGES.length; i++) {
            if (ku[i]) {
                out.add(KEY_USAGES[i]);
            }
        }
        return String.join(", ", out);
    }

    private static String extendedUsages(X509Certificate c) {
        try {
            List<String> eku = c.getExtendedKeyUsage();
            if (eku == null) {
                return "none";
            }
            List<String> out = new ArrayList<>();
            for (String oid : eku) {
                out.add(switch (oid) {
                    case "1.3.6.1.5.5.7.3.1" -> "serverAuth (TLS server)";
                    case "1.3.6.1.5.5.7.3.2" -> "clientAuth (TLS client)";
                    default -> oid;
                });
            }
            return String.join(", ", out);
        } catch (CertificateParsingException e) {
            return "malformed (" + e.getMessage() + ")";
        }
    }

    private static String signer(List<X509Certificate> certs, int i) {
        X509Certificate c = certs.get(i);
        if (c.getSubjectX500Principal().equals(c.getIssuerX500Principal()) && verifies(c, c)) {
            return "itself (self-signed; trust it only if it is your mesh root)";
        }
        for (int j = 0; j < certs.size(); j++) {
            if (j != i && verifies(c, certs.get(j))) {
                return "certificate " + (j + 1) + " of this file (signature verifies)";
            }
        }
        return "a certificate not in this file (" + c.getIssuerX500Principal().getName() + ")";
    }

    private static boolean verifies(X509Certificate c, X509Certificate issuer) {
        try {
            c.verify(issuer.getPublicKey());
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
