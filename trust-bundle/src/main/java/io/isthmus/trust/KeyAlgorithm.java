package io.isthmus.trust;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/** The key types the mesh PKI generates and signs with. */
public enum KeyAlgorithm {
    /** ECDSA on NIST P-256 with SHA-256: the default for every CA and workload. */
    EC_P256("SHA256withECDSA"),
    /** RSA 3072 with SHA-256 (PKCS#1 v1.5 signatures), for places that cannot use EC. */
    RSA_3072("SHA256withRSA");

    private static final SecureRandom RANDOM = new SecureRandom();
    private final String signatureAlgorithm;

    KeyAlgorithm(String signatureAlgorithm) {
        this.signatureAlgorithm = signatureAlgorithm;
    }

    /** The JCA signature algorithm used when a key of this type signs a certificate or CSR. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    /**
     * The provider a CA signs certificates and verifies CSRs with (never registered in {@code java.security}):
     * BouncyCastle, whose P-256 verify is several times faster than the JDK 17 SunEC one. Created on first use,
     * so that a proxy, which signs one CSR per certificate with the JDK's provider, never loads it.
     */
    public static Provider signatureProvider() {
        return CaProvider.INSTANCE;
    }

    /** Holds BouncyCastle's provider object until a CA first asks for it. */
    private static final class CaProvider {
        static final Provider INSTANCE = new BouncyCastleProvider();
    }

    /** Generates a fresh key pair of this type. */
    public KeyPair generate() {
        try {
            if (this == EC_P256) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
                return g.generateKeyPair();
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(3072, RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new TrustException("cannot generate a " + this + " key: " + e.getMessage(), e);
        }
    }

    /** The algorithm of an existing key: EC keys sign with ECDSA/SHA-256, RSA keys with RSA/SHA-256. */
    public static KeyAlgorithm of(PublicKey key) {
        if (key instanceof ECPublicKey) {
            return EC_P256;
        }
        if (key instanceof RSAPublicKey) {
            return RSA_3072;
        }
        throw new TrustException("unsupported key type " + key.getAlgorithm() + " (only EC and RSA)");
    }

    /** The algorithm of an existing private key. */
    public static KeyAlgorithm of(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "EC", "ECDSA" -> EC_P256;
            case "RSA" -> RSA_3072;
            default -> throw new TrustException("unsupported key type " + key.getAlgorithm() + " (only EC and RSA)");
        };
    }

    /** Parses {@code ec-p256} / {@code rsa-3072} (case-insensitive, also {@code ec} and {@code rsa}). */
    public static KeyAlgorithm parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "ec", "ec-p256", "ecdsa", "p256", "ec_p256" -> EC_P256;
            case "rsa", "rsa-3072", "rsa3072", "rsa_3072" -> RSA_3072;
            default -> throw new TrustException("unknown key algorithm '" + s + "' (use ec-p256 or rsa-3072)");
        };
    }
}
