package io.isthmus.sidecar.xds;

import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.sidecar.bootstrap.HostPort;
import io.isthmus.sidecar.cert.CertificateException;
import io.isthmus.sidecar.cert.CertificateSource;
import io.isthmus.sidecar.cert.CurrentCertificateKeyManager;
import io.isthmus.sidecar.cert.MeshTrustManager;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Opens gRPC channels to the controller (ADS and CA share the port 15012): plaintext, or TLS that
 * verifies the controller against the current mesh roots and its name, presenting the proxy's
 * current certificate when there is one (mTLS). The TLS context reads both on every handshake, so
 * rotations need no new channel.
 */
public final class ControlPlaneChannel {

    private ControlPlaneChannel() {
    }

    /**
     * Opens a channel.
     *
     * @param address    the controller
     * @param tls        the certificate source when TLS is wanted, empty for plaintext
     * @param serverName the name the controller's certificate must carry (also the SNI)
     */
    public static ManagedChannel open(HostPort address, Optional<CertificateSource> tls, String serverName) {
        NettyChannelBuilder b = NettyChannelBuilder.forAddress(address.host(), address.port())
                .keepAliveTime(30, TimeUnit.SECONDS)
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
                    .keyManager(new CurrentCertificateKeyManager(certs))
                    .trustManager(MeshTrustManager.forControlPlane(certs, serverName))
                    .build();
            return b.sslContext(ctx).overrideAuthority(serverName).build();
        } catch (SSLException e) {
            throw new CertificateException("cannot build the TLS context to the controller " + address + ": "
                    + e.getMessage(), e);
        }
    }
}
