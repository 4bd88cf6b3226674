package io.isthmus.sidecar.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager that presents whatever certificate the {@link TlsMaterialSource} holds at the time of
 * each handshake. The alias names the leaf's serial number, so a rotated certificate is never
 * confused with the previous one by an engine that caches by alias.
 */
final class MeshKeyManager extends X509ExtendedKeyManager {

    private final TlsMaterialSource source;

    MeshKeyManager(TlsMaterialSource source) {
        this.source = source;
    }

    private Optional<TlsMaterial> material() {
        return source.current();
    }

    private String alias() {
        return material().map(m -> "m-" + m.leaf().getSerialNumber().toString(16)).orElse(null);
    }

    private Optional<TlsMaterial> forAlias(String alias) {
        return material().filter(m -> alias != null && alias.equals("m-" + m.leaf().getSerialNumber().toString(16)));
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
        String a = alias();
        return a == null ? null : new String[] {a};
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
        return forAlias(alias).or(this::material)
                .map(m -> m.chain().toArray(new X509Certificate[0])).orElse(null);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return forAlias(alias).or(this::material).map(TlsMaterial::key).orElse(null);
    }
}
