package io.isthmus.trust.tls;

import io.isthmus.trust.CertifiedKey;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager presenting one key and chain that can be replaced at any time ({@link #set}); each new
 * handshake uses the newest one, existing connections keep theirs. Works with the JDK and OpenSSL engines.
 * Thread-safe.
 */
public final class SwappableKeyManager extends X509ExtendedKeyManager {
    /** The single alias this key manager knows. */
    public static final String ALIAS = "default";

    private final AtomicReference<CertifiedKey> current;

    /** A key manager presenting {@code initial}. */
    public SwappableKeyManager(CertifiedKey initial) {
        this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
    }

    /** Replaces the key and chain for handshakes from now on (a rotator listener). */
    public void set(CertifiedKey next) {
        current.set(Objects.requireNonNull(next, "next"));
    }

    /** The key and chain presented now. */
    public CertifiedKey current() {
        return current.get();
    }

    private String aliasFor(String keyType) {
        if (keyType == null) {
            return ALIAS;
        }
        String alg = current.get().privateKey().getAlgorithm();
        String family = alg.startsWith("EC") ? "EC" : alg;
        return keyType.startsWith(family) ? ALIAS : null;
    }

    private String aliasFor(String[] keyTypes) {
        if (keyTypes == null) {
            return ALIAS;
        }
        for (String t : keyTypes) {
            if (aliasFor(t) != null) {
                return ALIAS;
            }
        }
        return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return aliasFor(keyType) == null ? null : new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return aliasFor(keyTypes);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyTypes);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return aliasFor(keyType) == null ? null : new String[] {ALIAS};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyType);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? current.get().chain().toArray(X509Certificate[]::new) : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? current.get().privateKey() : null;
    }
}
