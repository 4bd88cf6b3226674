package io.isthmus.sidecar.listener;

import io.isthmus.sidecar.errors.ErrorResponder;
import io.isthmus.sidecar.errors.ProxyFailure;
import io.isthmus.sidecar.errors.ResponseFlag;
import io.isthmus.sidecar.filter.HttpExchange;
import io.isthmus.sidecar.filter.ListenerContext;
import io.isthmus.sidecar.filter.TcpProxy;
import io.isthmus.sidecar.tls.MeshTls;
import io.vertx.core.Future;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.http.HttpServer;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sockets of one listener: an HTTP server (HTTP/1.1, h2c, and TLS with ALPN h2 when the listener
 * terminates TLS) or a TCP server, one per event loop, all serving the current
 * {@link ListenerConfig}, which can be swapped without rebinding.
 */
final class ServingListener {

    private static final Logger LOG = LoggerFactory.getLogger(ServingListener.class);
    /** Envoy's default header size limit (60 KiB). */
    static final int MAX_HEADER_BYTES = 60 * 1024;
    /** Envoy's default connection idle timeout of the HTTP connection manager (1 h). */
    static final int IDLE_TIMEOUT_SECONDS = 3600;

    private final AtomicReference<ListenerConfig> config;
    private final AtomicReference<ListenerContext> context;
    private volatile String deploymentId;
    private volatile Vertx vertx;

    private ServingListener(ListenerConfig config, ListenerContext context) {
        this.config = new AtomicReference<>(config);
        this.context = new AtomicReference<>(context);
    }

    /** Binds the listener's sockets: one server per event loop, each in its own verticle instance. */
    static Future<ServingListener> bind(Vertx vertx, MeshTls tls, ListenerConfig config,
                                        Function<ListenerConfig, ListenerContext> contexts, int instances) {
        ServingListener l = new ServingListener(config, contexts.apply(config));
        return vertx.deployVerticle(() -> new Acceptor(l, tls, config), new DeploymentOptions().setInstances(instances))
                .map(id -> {
                    l.deploymentId = id;
                    l.vertx = vertx;
                    LOG.info("listener bound [{} {}] tls={} plaintextToo={} kind={} loops={}", config.name(),
                            config.address(), config.tls(), config.plaintextToo(),
                            config.http().isPresent() ? "http" : "tcp", instances);
                    return l;
                });
    }

    /** One event loop's server of a listener. */
    private static final class Acceptor extends VerticleBase {
        private final ServingListener listener;
        private final MeshTls tls;
        private final ListenerConfig config;

        Acceptor(ServingListener listener, MeshTls tls, ListenerConfig config) {
            this.listener = listener;
            this.tls = tls;
            this.config = config;
        }

        @Override
        public Future<?> start() {
            if (!config.plaintextToo()) {
                return serve(config.address().host(), config.address().port(), config.tls() != DownstreamTlsMode.NONE);
            }
            Future<Integer> tlsPort = serve("127.0.0.1", 0, true);
            Future<Integer> plainPort = serve("127.0.0.1", 0, false);
            return Future.all(tlsPort, plainPort).compose(v -> {
                NetClient loopback = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
                return vertx.createNetServer(new NetServerOptions().setHost(config.address().host())
                                .setPort(config.address().port()).setTcpNoDelay(true).setReuseAddress(true))
                        .connectHandler(s -> sniff(s, loopback, tlsPort.result(), plainPort.result()))
                        .listen();
            });
        }

        /** Binds this listener's HTTP or TCP server; returns the port bound. */
        private Future<Integer> serve(String host, int port, boolean tlsOn) {
            MeshTls.ClientCertPolicy policy = config.tls() == DownstreamTlsMode.STRICT
                    ? MeshTls.ClientCertPolicy.REQUIRE : MeshTls.ClientCertPolicy.REQUEST;
            if (config.http().isPresent()) {
                HttpServerOptions o = new HttpServerOptions()
                        .setHost(host)
                        .setPort(port)
                        .setTcpNoDelay(true)
                        .setReuseAddress(true)
                        .setCompressionSupported(false)
                        .setDecompressionSupported(false)
                        .setMaxHeaderSize(MAX_HEADER_BYTES)
                        .setIdleTimeout(IDLE_TIMEOUT_SECONDS)
                        .setHttp2ClearTextEnabled(true);
                if (tlsOn) {
                    tls.applyDownstream(o, policy);
                    o.setUseAlpn(true).setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
                }
                return vertx.createHttpServer(o).requestHandler(listener::onRequest).listen().map(HttpServer::actualPort);
            }
            NetServerOptions o = new NetServerOptions()
                    .setHost(host)
                    .setPort(port)
                    .setTcpNoDelay(true)
                    .setReuseAddress(true);
            if (tlsOn) {
                tls.applyDownstream(o, policy);
            }
            return vertx.createNetServer(o).connectHandler(s -> TcpProxy.handle(s, listener.context.get(),
                    listener.config.get().tcp().orElseThrow())).listen().map(NetServer::actualPort);
        }

        /**
         * PERMISSIVE: looks at the first bytes of a connection and hands it to the TLS server (a TLS
         * handshake record starts with 0x16) or to the plaintext server, over loopback.
         */
        private void sniff(NetSocket s, NetClient loopback, int tlsPort, int plainPort) {
            s.handler(first -> {
                s.handler(null);
                s.pause();
                int port = first.length() > 0 && first.getByte(0) == 0x16 ? tlsPort : plainPort;
                loopback.connect(port, "127.0.0.1").onComplete(ar -> {
                    if (ar.failed()) {
                        s.close();
                        return;
                    }
                    NetSocket up = ar.result();
                    up.write(first);
                    s.pipeTo(up);
                    up.pipeTo(s);
                });
            });
        }
    }

    private void onRequest(HttpServerRequest request) {
        ListenerConfig c = config.get();
        if (request.headers().contains(HttpHeaders.CONTENT_LENGTH) && request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
            ErrorResponder.respond(request.response().putHeader(HttpHeaders.CONNECTION, "close"),
                    new ProxyFailure(ResponseFlag.DOWNSTREAM_PROTOCOL_ERROR, 400, "both Content-Length and Transfer-Encoding"),
                    ResponseFlag.DOWNSTREAM_PROTOCOL_ERROR.code());
            request.connection().close();
            return;
        }
        HttpExchange.handle(request, context.get(), c.http().orElseThrow());
    }

    /** The config served. */
    ListenerConfig config() {
        return config.get();
    }

    /** Serves a new config on the same sockets (the caller checked {@link ListenerConfig#sameSocket}). */
    void update(ListenerConfig next, ListenerContext nextContext) {
        context.set(nextContext);
        config.set(next);
    }

    /** Closes the sockets; open connections are closed with them. */
    Future<Void> close() {
        return deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId);
    }
}
