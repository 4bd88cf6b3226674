package io.isthmus.trust.pem;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * PEM reading and writing for certificates, private keys (PKCS#8, also SEC1 and PKCS#1 on input) and
 * PKCS#10 certificate signing requests.
 *
 * <p>Files are replaced atomically (written to a temporary file in the same directory, then renamed);
 * private key files are created with mode 0600 before any key byte is written.
 */
public final class Pem {
    private static final JcaX509CertificateConverter CERTS = new JcaX509CertificateConverter();
    private static final JcaPEMKeyConverter KEYS = new JcaPEMKeyConverter();
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rw-r--r--");

    private Pem() {
    }

    /** Every certificate in a PEM text, in order; at least one, or a {@link PemException}. */
    public static List<X509Certificate> readCertificates(String pem) {
        return readCertificates(pem, "PEM text");
    }

    /** Every certificate in a PEM file, in order; at least one, or a {@link PemException} naming the file. */
    public static List<X509Certificate> readCertificates(Path file) {
        return readCertificates(readFile(file), file.toString());
    }

    /** Every certificate in a PEM text, in order; at least one, or a {@link PemException} naming {@code source}. */
    public static List<X509Certificate> readCertificates(String pem, String source) {
        List<Object> objects = parse(pem, source);
        List<X509Certificate> out = new ArrayList<>();
        for (Object o : objects) {
            if (o instanceof X509CertificateHolder holder) {
                try {
                    out.add(CERTS.getCertificate(holder));
                } catch (CertificateException e) {
                    throw new PemException(source + ": certificate " + (out.size() + 1) + " is malformed: "
                            + e.getMessage(), e);
                }
            } else {
                throw new PemException(source + ": expected only CERTIFICATE blocks, found " + describe(List.of(o)));
            }
        }
        if (out.isEmpty()) {
            throw new PemException(source + ": no CERTIFICATE block found");
        }
        return List.copyOf(out);
    }

    /**
     * The single private key in a PEM text (PKCS#8 {@code PRIVATE KEY}, SEC1 {@code EC PRIVATE KEY} or PKCS#1).
     * An {@code EC PARAMETERS} block beside it (as {@code openssl ecparam -genkey} writes) is ignored.
     */
    public static PrivateKey readPrivateKey(String pem) {
        return readPrivateKey(pem, "PEM text");
    }

    /** The single private key in a PEM text, or a {@link PemException} naming {@code source}. */
    public static PrivateKey readPrivateKey(String pem, String source) {
        List<Object> objects = new ArrayList<>(parse(pem, source));
        objects.removeIf(o -> o instanceof ASN1ObjectIdentifier || o instanceof X9ECParameters);
        if (objects.size() != 1) {
            throw new PemException(source + ": expected exactly one private key block, found " + describe(objects));
        }
        Object o = objects.get(0);
        try {
            if (o instanceof PrivateKeyInfo info) {
                return KEYS.getPrivateKey(info);
            }
            if (o instanceof PEMKeyPair pair) {
                return KEYS.getKeyPair(pair).getPrivate();
            }
        } catch (PEMException e) {
            throw new PemException(source + ": private key is malformed: " + e.getMessage(), e);
        }
        throw new PemException(source + ": expected a private key block (PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY), "
                + "found " + describe(objects) + (o.getClass().getSimpleName().contains("Encrypted")
                        ? " (encrypted keys are not supported)" : ""));
    }

    /** The single private key in a PEM file. */
    public static PrivateKey readPrivateKey(Path file) {
        return readPrivateKey(readFile(file), file.toString());
    }

    /** The single PKCS#10 certificate signing request in a PEM text. */
    public static PKCS10CertificationRequest readCsr(String pem) {
        List<Object> objects = parse(pem, "CSR");
        if (objects.size() != 1 || !(objects.get(0) instanceof PKCS10CertificationRequest csr)) {
            throw new PemException("CSR: expected exactly one CERTIFICATE REQUEST block, found "
                    + describe(objects));
        }
        return csr;
    }

    /** Certificates as concatenated PEM {@code CERTIFICATE} blocks. */
    public static String encodeCertificates(List<X509Certificate> certificates) {
        return encode(new ArrayList<>(certificates));
    }

    /** One certificate as a PEM {@code CERTIFICATE} block. */
    public static String encode(X509Certificate certificate) {
        return encode(List.of(certificate));
    }

    /** A private key as an unencrypted PKCS#8 {@code PRIVATE KEY} block. */
    public static String encodePrivateKey(PrivateKey key) {
        try {
            return encode(List.of(new JcaPKCS8Generator(key, null).generate()));
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new PemException("cannot encode " + key.getAlgorithm() + " private key as PKCS#8: " + e.getMessage(), e);
        }
    }

    /** A CSR as a PEM {@code CERTIFICATE REQUEST} block. */
    public static String encodeCsr(PKCS10CertificationRequest csr) {
        return encode(List.of(csr));
    }

    /** Writes certificates to a file atomically, mode 0644. */
    public static void writeCertificates(Path file, List<X509Certificate> certificates) {
        writeAtomically(file, encodeCertificates(certificates), WORLD_READABLE);
    }

    /** Writes a private key (PKCS#8) to a file atomically, mode 0600 from the first byte. */
    public static void writePrivateKey(Path file, PrivateKey key) {
        writeAtomically(file, encodePrivateKey(key), OWNER_ONLY);
    }

    /** Writes text atomically: a temporary file in the same directory with the given mode, then a rename. */
    public static void writeAtomically(Path file, String text, Set<PosixFilePermission> mode) {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = createTemp(dir, abs.getFileName().toString(), mode);
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new PemException("cannot write " + abs + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the rename already happened or the directory is gone; nothing else to do
                }
            }
        }
    }

    private static Path createTemp(Path dir, String name, Set<PosixFilePermission> mode) throws IOException {
        try {
            return Files.createTempFile(dir, "." + name + ".", ".tmp", PosixFilePermissions.asFileAttribute(mode));
        } catch (UnsupportedOperationException notPosix) {
            return Files.createTempFile(dir, "." + name + ".", ".tmp");
        }
    }

    private static List<Object> parse(String pem, String source) {
        if (pem == null || pem.isBlank()) {
            throw new PemException(source + ": empty, no PEM block found");
        }
        if (!pem.contains("-----BEGIN ")) {
            throw new PemException(source + ": not PEM (no '-----BEGIN' line)");
        }
        List<Object> out = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                out.add(o);
            }
        } catch (IOException | RuntimeException e) {
            throw new PemException(source + ": malformed PEM block " + (out.size() + 1) + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new PemException(source + ": no PEM block could be read");
        }
        return out;
    }

    private static String encode(List<Object> objects) {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            for (Object o : objects) {
                w.writeObject(o);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sw.toString();
    }

    private static String readFile(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new PemException(file + ": no such file");
        } catch (IOException e) {
            throw new PemException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static String describe(List<Object> objects) {
        List<String> kinds = new ArrayList<>();
        for (Object o : objects) {
            kinds.add(switch (o.getClass().getSimpleName()) {
                case "X509CertificateHolder" -> "CERTIFICATE";
                case "PrivateKeyInfo", "PEMKeyPair" -> "PRIVATE KEY";
                case "PKCS10CertificationRequest" -> "CERTIFICATE REQUEST";
                case "SubjectPublicKeyInfo" -> "PUBLIC KEY";
                default -> o.getClass().getSimpleName();
            });
        }
        return kinds.isEmpty() ? "nothing" : String.join(", ", kinds);
    }
}
