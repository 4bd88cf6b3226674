package io.isthmus.sidecar.tls;

import io.isthmus.mesh.XdsNames;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.tls.SwappableKeyManager;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Builds the Vert.x client TLS settings of a cluster that originates TLS to a server outside the
 * mesh ({@link OriginationSpec}): the server is verified by an {@link OriginationTrustManager}, and
 * for MUTUAL the client certificate is read from its SDS secret (or the workload certificate for
 * {@code default}) at every handshake, so rotation needs no new pool.
 */
public final class OriginationTls {

    private final SecretLookup secrets;
    private final TlsMaterialSource workload;

    /**
     * @param secrets the named SDS secrets in force
     * @param workload the workload certificate, for a client certificate named {@code default}
     */
    public OriginationTls(SecretLookup secrets, TlsMaterialSource workload) {
        this.secrets = Objects.requireNonNull(secrets, "secrets");
        this.workload = Objects.requireNonNull(workload, "workload");
    }

    /** Applies origination to HTTP client options (host verification is done by the SAN rules instead). */
    public HttpClientOptions apply(HttpClientOptions options, String cluster, OriginationSpec spec) {
        options.setVerifyHost(false);
        apply((ClientOptionsBase) options, cluster, spec);
        return options;
    }

    /** Applies origination to TCP or HTTP client options. */
    public ClientOptionsBase apply(ClientOptionsBase options, String cluster, OriginationSpec spec) {
        options.setSsl(true)
                .setSslEngineOptions(MeshTls.engine())
                .setTrustOptions(TrustOptions.wrap(new OriginationTrustManager(cluster, spec, secrets)));
        spec.clientCertificate().ifPresent(c -> options.setKeyCertOptions(KeyCertOptions.wrap(
                XdsNames.WORKLOAD_SECRET.equals(c.secret()) ? workload.keyManager() : new SecretKeyManager(c.secret(), secrets))));
        return options;
    }

    /** Presents the certificate of a named SDS secret as it is at each handshake; none while it has not arrived. */
    private static final class SecretKeyManager extends X509ExtendedKeyManager {
        private final String name;
        private final SecretLookup secrets;
        private final SwappableKeyManager current = new SwappableKeyManager();

        SecretKeyManager(String name, SecretLookup secrets) {
            this.name = name;
            this.secrets = secrets;
        }

        private SwappableKeyManager refreshed() {
            Optional<CertifiedKey> k = secrets.certificate(name);
            if (k.isPresent() && k.get() != current.current()) {
                current.set(k.get());
            }
            return current;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return refreshed().getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return refreshed().chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return refreshed().chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return refreshed().getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return refreshed().getPrivateKey(alias);
        }
    }
}
