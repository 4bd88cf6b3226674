package io.isthmus.sidecar.listener;

import io.isthmus.mesh.XdsNames;
import io.isthmus.sidecar.tls.MeshTls;
import io.isthmus.sidecar.tls.NamedSecrets;
import io.isthmus.trust.tls.SwappableKeyManager;
import io.vertx.core.Vertx;
import io.vertx.core.net.KeyCertOptions;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509KeyManager;

/**
 * The certificates of an {@link ListenerConfig.Serving#SNI} listener for Vert.x's SNI support: the
 * server name of each handshake picks a chain as {@link ChainSelector} does, and its certificate (the
 * workload's or a named SDS secret, each a key manager updated in place on rotation). A name no chain
 * matches is counted and gets the server's default context, as does a handshake without a server
 * name: the certificate of the chain without server names, or none, which fails the handshake.
 */
final class SniKeyCertOptions implements KeyCertOptions {

    private final List<FilterChainConfig> chains;
    private final MeshTls mesh;
    private final NamedSecrets secrets;
    private final Runnable noMatch;

    SniKeyCertOptions(List<FilterChainConfig> chains, MeshTls mesh, NamedSecrets secrets, Runnable noMatch) {
        this.chains = List.copyOf(chains);
        this.mesh = mesh;
        this.secrets = secrets;
        this.noMatch = noMatch;
    }

    private X509KeyManager keyManager(FilterChainConfig chain) {
        String secret = chain.tls().orElseThrow().certificateSecret();
        return secret.equals(XdsNames.WORKLOAD_SECRET) ? mesh.source().keyManager() : secrets.keyManager(secret);
    }

    @Override
    public KeyCertOptions copy() {
        return this;
    }

    @Override
    public KeyManagerFactory getKeyManagerFactory(Vertx vertx) throws Exception {
        Optional<FilterChainConfig> none = ChainSelector.select(chains, null, true);
        X509KeyManager km = none.map(this::keyManager).orElseGet(SwappableKeyManager::new);
        return KeyCertOptions.wrap(km).getKeyManagerFactory(vertx);
    }

    @Override
    public Function<String, KeyManagerFactory> keyManagerFactoryMapper(Vertx vertx) {
        return serverName -> {
            Optional<FilterChainConfig> chain = ChainSelector.select(chains, serverName == null ? null
                    : serverName.toLowerCase(java.util.Locale.ROOT), true);
            if (chain.isEmpty()) {
                noMatch.run();
            }
            if (chain.isEmpty() || chain.get().serverNames().isEmpty()) {
                // the server's default context: the chain without names, or no certificate (the handshake
                // fails at once); never a context per unknown name, which Vert.x would keep
                return null;
            }
            try {
                return KeyCertOptions.wrap(keyManager(chain.get())).getKeyManagerFactory(vertx);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }
}
