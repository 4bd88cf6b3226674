package io.isthmus.controller.xds;

import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpcio.server.GrpcIoServer;
import io.vertx.grpcio.server.GrpcIoServiceBridge;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's gRPC ports on Vert.x: the secure port (TLS; client certificates requested and,
 * when presented, verified against the trust bundle) and, only when configured, a plaintext port
 * for local development. Both serve the same gRPC services (ADS and the CA).
 */
public final class XdsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(XdsServer.class);
    private static final int MAX_MESSAGE_BYTES = 64 << 20;

    private final HttpServer secure;
    private final HttpServer plaintext;

    private XdsServer(HttpServer secure, HttpServer plaintext) {
        this.secure = secure;
        this.plaintext = plaintext;
    }

    /**
     * Binds the ports and starts serving.
     *
     * @param vertx the Vert.x instance whose event loops serve the streams
     * @param listenAddress the address to bind, e.g. {@code 0.0.0.0}
     * @param securePort the TLS port (15012; 0 picks a free one)
     * @param plaintextPort the plaintext port (15010), or empty for none
     * @param tls the serving certificate and the roots to verify clients against
     * @param services the gRPC services to host
     */
    public static XdsServer start(Vertx vertx, String listenAddress, int securePort, OptionalInt plaintextPort,
            ServerTls tls, List<ServerServiceDefinition> services) {
        Objects.requireNonNull(vertx, "vertx");
        Objects.requireNonNull(listenAddress, "listenAddress");
        Objects.requireNonNull(tls, "tls");
        GrpcIoServer grpc = GrpcIoServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(MAX_MESSAGE_BYTES));
        for (ServerServiceDefinition s : services) {
            GrpcIoServiceBridge.bridge(ServerInterceptors.intercept(s, PeerIdentity.interceptor())).bind(grpc);
        }
        HttpServerOptions secureOptions = new HttpServerOptions()
                .setHost(listenAddress)
                .setPort(securePort)
                .setSsl(true)
                .setUseAlpn(true)
                .setClientAuth(ClientAuth.REQUEST)
                .setKeyCertOptions(keyCert(tls))
                .setTrustOptions(trust(tls));
        HttpServer secure = await(vertx.createHttpServer(secureOptions).requestHandler(grpc).listen(), "secure port " + securePort);
        HttpServer plain = null;
        if (plaintextPort.isPresent()) {
            HttpServerOptions plainOptions = new HttpServerOptions().setHost(listenAddress).setPort(plaintextPort.getAsInt());
            try {
                plain = await(vertx.createHttpServer(plainOptions).requestHandler(grpc).listen(), "plaintext port " + plaintextPort.getAsInt());
            } catch (RuntimeException e) {
                secure.close();
                throw e;
            }
        }
        LOG.info("xDS serving [tls={}:{} plaintext={}]", listenAddress, secure.actualPort(),
                plain == null ? "off" : listenAddress + ":" + plain.actualPort());
        return new XdsServer(secure, plain);
    }

    /** Plaintext-only server for tests and local tools: no TLS port at all. */
    public static XdsServer startPlaintext(Vertx vertx, String listenAddress, int port, List<ServerServiceDefinition> services) {
        GrpcIoServer grpc = GrpcIoServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(MAX_MESSAGE_BYTES));
        for (ServerServiceDefinition s : services) {
            GrpcIoServiceBridge.bridge(ServerInterceptors.intercept(s, PeerIdentity.interceptor())).bind(grpc);
        }
        HttpServer plain = await(vertx.createHttpServer(new HttpServerOptions().setHost(listenAddress).setPort(port))
                .requestHandler(grpc).listen(), "plaintext port " + port);
        return new XdsServer(null, plain);
    }

    /** The bound TLS port, or -1 when there is none. */
    public int securePort() {
        return secure == null ? -1 : secure.actualPort();
    }

    /** The bound plaintext port, or -1 when it is off. */
    public int plaintextPort() {
        return plaintext == null ? -1 : plaintext.actualPort();
    }

    /**
     * Swaps the serving certificate and the trusted roots without dropping connections (a new root
     * in the trust bundle, a renewed serving certificate).
     */
    public void updateTls(ServerTls tls) {
        if (secure == null) {
            return;
        }
        ServerSSLOptions options = new ServerSSLOptions()
                .setClientAuth(ClientAuth.REQUEST)
                .setUseAlpn(true)
                .setKeyCertOptions(keyCert(tls))
                .setTrustOptions(trust(tls));
        await(secure.updateSSLOptions(options), "TLS update");
        LOG.info("xDS TLS material updated [port={}]", secure.actualPort());
    }

    @Override
    public void close() {
        if (secure != null) {
            secure.close();
        }
        if (plaintext != null) {
            plaintext.close();
        }
    }

    private static PemKeyCertOptions keyCert(ServerTls tls) {
        return new PemKeyCertOptions().setCertValue(Buffer.buffer(tls.certChainPem())).setKeyValue(Buffer.buffer(tls.keyPem()));
    }

    private static PemTrustOptions trust(ServerTls tls) {
        return new PemTrustOptions().addCertValue(Buffer.buffer(tls.trustedRootsPem()));
    }

    static <T> T await(Future<T> f, String what) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot start " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting " + what, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out starting " + what, e);
        }
    }
}
