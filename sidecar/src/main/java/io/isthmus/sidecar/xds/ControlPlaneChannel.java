package io.isthmus.sidecar.xds;

import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.sidecar.bootstrap.HostPort;
import io.isthmus.sidecar.cert.CertificateException;
import io.isthmus.sidecar.cert.CertificateSource;
import io.isthmus.sidecar.endpoint.HostResolver;
import io.isthmus.sidecar.tls.TlsMaterial;
import io.isthmus.trust.bundle.TrustBundle;
import io.isthmus.trust.tls.SpiffeTrustManager;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLException;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Opens gRPC channels to the controller (ADS and CA share the port 15012): plaintext, or TLS that
 * verifies the controller against the current mesh roots and its SPIFFE ID, presenting the proxy's
 * current certificate when there is one (mTLS). The TLS context reads both on every handshake, so
 * rotations need no new channel.
 */
public final class ControlPlaneChannel {

    /** The path of the controller's SPIFFE ID, {@code spiffe://<td>/ns/isthmus-system/sa/isthmus-controller}. */
    static final String CONTROLLER_PATH = "/ns/isthmus-system/sa/isthmus-controller";

    private ControlPlaneChannel() {
    }

    /**
     * Opens a channel.
     *
     * @param address    the controller
     * @param tls        the certificate source when TLS is wanted, empty for plaintext
     * @param serverName the controller's name: the SNI and the authority (the certificate must carry
     *                   the controller's SPIFFE ID in the proxy's trust domain)
     */
    public static ManagedChannel open(HostPort address, Optional<CertificateSource> tls, String serverName) {
        return open(address, tls, serverName, Optional.empty());
    }

    /**
     * Opens a channel whose controller name is resolved by {@code resolver} (empty: grpc-java's DNS
     * resolution, the JDK's), e.g. the proxy's own resolver that bypasses its DNS proxy.
     *
     * @see #open(HostPort, Optional, String)
     */
    @SuppressWarnings("deprecation") // nameResolverFactory: the per-channel way to give a channel its resolver
    public static ManagedChannel open(HostPort address, Optional<CertificateSource> tls, String serverName,
                                      Optional<HostResolver> resolver) {
        NettyChannelBuilder b = NettyChannelBuilder.forAddress(address.host(), address.port());
        resolver.ifPresent(r -> b.nameResolverFactory(ControlPlaneNameResolver.provider(r)));
        b.keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(false)
                .maxInboundMessageSize(64 * 1024 * 1024)
                .userAgent("isthmus-sidecar");
        if (tls.isEmpty()) {
            return b.usePlaintext().build();
        }
        CertificateSource certs = tls.get();
        try {
            SslContext ctx = GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
                    .keyManager(certs.keyManager())
                    .trustManager(SpiffeTrustManager.of(() -> trustBundle(certs),
                            id -> id.path().equals(CONTROLLER_PATH), Clock.systemUTC()))
                    .build();
            return b.sslContext(ctx).overrideAuthority(serverName).build();
        } catch (SSLException e) {
            throw new CertificateException("cannot build the TLS context to the controller " + address + ": "
                    + e.getMessage(), e);
        }
    }

    private static TrustBundle trustBundle(CertificateSource certs) {
        return TlsMaterial.trustBundle(certs.certificate().map(c -> c.spiffeId()).orElse(""),
                certs.trustAnchors().roots());
    }
}
