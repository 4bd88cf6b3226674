package io.isthmus.sidecar.cert;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;

/**
 * A key manager that always offers the {@link CertificateSource}'s current certificate, so a TLS
 * context built once keeps using the newest certificate after every rotation (new handshakes get
 * the new one; open connections are untouched). The alias names the certificate's serial number so
 * that a rotation between alias choice and key lookup cannot pair a key with the wrong chain.
 */
public final class CurrentCertificateKeyManager extends X509ExtendedKeyManager {
    private final CertificateSource source;
    private volatile WorkloadCertificate previous;

    /** Creates a key manager over {@code source}. */
    public CurrentCertificateKeyManager(CertificateSource source) {
        this.source = Objects.requireNonNull(source, "source");
    }

    private String alias() {
        Optional<WorkloadCertificate> c = source.certificate();
        return c.map(w -> w.leaf().getSerialNumber().toString(16)).orElse(null);
    }

    private Optional<WorkloadCertificate> byAlias(String alias) {
        if (alias == null) {
            return Optional.empty();
        }
        Optional<WorkloadCertificate> cur = source.certificate();
        if (cur.isPresent() && cur.get().leaf().getSerialNumber().toString(16).equals(alias)) {
            previous = cur.get();
            return cur;
        }
        WorkloadCertificate p = previous;
        if (p != null && p.leaf().getSerialNumber().toString(16).equals(alias)) {
            return Optional.of(p);
        }
        return Optional.empty();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        String a = alias();
        return a == null ? null : new String[] {a};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return alias();
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return alias();
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return alias();
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return alias();
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return byAlias(alias).map(w -> w.chain().toArray(X509Certificate[]::new)).orElse(null);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return byAlias(alias).map(WorkloadCertificate::key).orElse(null);
    }
}
