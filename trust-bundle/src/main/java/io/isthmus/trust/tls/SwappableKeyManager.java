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
 * It may start empty (a proxy waiting for its first certificate): until the first {@link #set} it offers no
 * alias, so a handshake that needs a certificate fails. Thread-safe.
 */
public final class SwappableKeyManager extends X509ExtendedKeyManager {
    /** The single alias this key manager knows. */
    public static final String ALIAS = "default";

    private final AtomicReference<CertifiedKey> current;

    /** A key manager presenting {@code initial}. */
    public SwappableKeyManager(CertifiedKey initial) {
        this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
    }

    /** A key manager presenting nothing until the first {@link #set}. */
    public SwappableKeyManager() {
        this.current = new AtomicReference<>();
    }

    /** Replaces the key and chain for handshakes from now on (a rotator listener). */
    public void set(CertifiedKey next) {
        current.set(Objects.requireNonNull(next, "next"));
    }

    /** The key and chain presented now, {@code null} before the first {@link #set} of an empty one. */
    public CertifiedKey current() {
        return current.get();
    }

    private String aliasFor(String keyType) {
        CertifiedKey key = current.get();
        if (key == null) {
            return null;
        }
        if (keyType == null) {
            return ALIAS;
        }
        String alg = key.privateKey().getAlgorithm();
        String family = alg.startsWith("EC") ? "EC" : alg;
        return keyType.startsWith(family) ? ALIAS : null;
    }

    private String aliasFor(String[] keyTypes) {
        if (keyTypes == null) {
            return aliasFor((String) null);
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
        CertifiedKey key = current.get();
        return key != null && ALIAS.equals(alias) ? key.chain().toArray(X509Certificate[]::new) : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        CertifiedKey key = current.get();
        return key != null && ALIAS.equals(alias) ? key.privateKey() : null;
    }
}
