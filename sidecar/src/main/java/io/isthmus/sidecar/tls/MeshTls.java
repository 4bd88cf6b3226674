package io.isthmus.sidecar.tls;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.TrustOptions;
import io.isthmus.trust.bundle.TrustBundle;
import io.isthmus.trust.tls.SpiffeTrustManager;
import java.time.Clock;
import java.util.Objects;

/**
 * Builds the Vert.x TLS settings of the data path from a {@link TlsMaterialSource}: OpenSSL
 * (BoringSSL) when its natives load, the JDK engine otherwise. The source's key manager presents the
 * current certificate; trust-bundle's {@link SpiffeTrustManager} verifies peers against the roots in
 * force at each handshake, in the workload's own trust domain, and against a cluster's expected
 * identities ({@link SanMatchers}).
 */
public final class MeshTls {

    private final TlsMaterialSource source;

    /** A builder of TLS settings for one workload's certificate source. */
    public MeshTls(TlsMaterialSource source) {
        this.source = Objects.requireNonNull(source, "source");
    }

    /** The certificate source. */
    public TlsMaterialSource source() {
        return source;
    }

    /** Whether a server demands a client certificate. */
    public enum ClientCertPolicy {
        /** The handshake fails without a valid mesh client certificate (STRICT). */
        REQUIRE,
        /** A client certificate is verified when presented (PERMISSIVE). */
        REQUEST
    }

    /** The engine in use: OpenSSL when available; clients send mesh SNIs with '_' ({@link MeshSniEngineOptions}). */
    public static SSLEngineOptions engine() {
        return MeshSniEngineOptions.wrap(OpenSSLEngineOptions.isAvailable() ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions());
    }

    /** Applies upstream mTLS to HTTP client options: present our certificate, verify the peer's identity. */
    public HttpClientOptions applyUpstream(HttpClientOptions options, SanMatchers expected) {
        options.setVerifyHost(false);
        applyUpstream((ClientOptionsBase) options, expected);
        return options;
    }

    /** Applies upstream mTLS to TCP client options. */
    public ClientOptionsBase applyUpstream(ClientOptionsBase options, SanMatchers expected) {
        options.setSsl(true)
                .setSslEngineOptions(engine())
                .setKeyCertOptions(KeyCertOptions.wrap(source.keyManager()))
                .setTrustOptions(TrustOptions.wrap(trustManager(expected)));
        return options;
    }

    /** Applies downstream mTLS to server options (HTTP or TCP). */
    public NetServerOptions applyDownstream(NetServerOptions options, ClientCertPolicy policy) {
        options.setSsl(true)
                .setSslEngineOptions(engine())
                .setClientAuth(policy == ClientCertPolicy.REQUIRE ? ClientAuth.REQUIRED : ClientAuth.REQUEST)
                .setKeyCertOptions(KeyCertOptions.wrap(source.keyManager()))
                .setTrustOptions(TrustOptions.wrap(trustManager(SanMatchers.ANY)));
        return options;
    }

    /**
     * Applies a filter chain's downstream TLS to server options: the workload certificate or a named
     * SDS certificate, client certificates verified against the mesh trust bundle ({@code ROOTCA}) or
     * a named CA secret. Named secrets are read at each handshake, so a rotated secret is used by the
     * next one.
     */
    public NetServerOptions applyDownstream(NetServerOptions options, DownstreamTls tls, NamedSecrets secrets) {
        applyDownstream(options, ClientCertPolicy.REQUEST);
        options.setClientAuth(switch (tls.clientCertificate()) {
            case NONE -> ClientAuth.NONE;
            case REQUEST -> ClientAuth.REQUEST;
            case REQUIRE -> ClientAuth.REQUIRED;
        });
        if (!tls.certificateSecret().equals(io.isthmus.mesh.XdsNames.WORKLOAD_SECRET)) {
            options.setKeyCertOptions(KeyCertOptions.wrap(secrets.keyManager(tls.certificateSecret())));
        }
        tls.validationSecret().filter(v -> !v.equals(io.isthmus.mesh.XdsNames.ROOT_SECRET))
                .ifPresent(v -> options.setTrustOptions(TrustOptions.wrap(secrets.trustManager(v))));
        return options;
    }

    private SpiffeTrustManager trustManager(SanMatchers expected) {
        return SpiffeTrustManager.of(this::trustBundle, id -> expected.matches(id.toString()), Clock.systemUTC());
    }

    private TrustBundle trustBundle() {
        return source.current().map(TlsMaterial::trustBundle).orElse(null);
    }
}
