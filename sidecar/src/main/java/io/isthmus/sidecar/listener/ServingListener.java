package io.isthmus.sidecar.listener;

import io.isthmus.sidecar.errors.ErrorResponder;
import io.isthmus.sidecar.errors.ProxyFailure;
import io.isthmus.sidecar.errors.ResponseFlag;
import io.isthmus.sidecar.capture.CaptureMode;
import io.isthmus.sidecar.capture.HandoffTarget;
import io.isthmus.sidecar.capture.TransparentAcceptor;
import io.isthmus.sidecar.filter.ConnectionLimit;
import io.isthmus.sidecar.filter.HttpExchange;
import io.isthmus.sidecar.filter.ListenerContext;
import io.isthmus.sidecar.filter.TcpProxy;
import io.isthmus.sidecar.tls.DownstreamTls;
import io.isthmus.sidecar.tls.MeshTls;
import io.isthmus.sidecar.tls.NamedSecrets;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sockets of one listener, one set per event loop, all serving the current
 * {@link ListenerConfig}, which can be swapped without rebinding: an HTTP server (HTTP/1.1, h2c, TLS
 * with ALPN h2) or TCP server for a single chain, a first-byte sniffer for Istio's PERMISSIVE pair, or
 * a {@link FrontDoor} choosing among chains by server name.
 */
final class ServingListener {

    private static final Logger LOG = LoggerFactory.getLogger(ServingListener.class);
    /** Envoy's default connection idle timeout of the HTTP connection manager (1 h). */
    static final int IDLE_TIMEOUT_SECONDS = 3600;

    private final AtomicReference<ListenerConfig> config;
    private final AtomicReference<ListenerContext> context;
    final LoopbackOrigins origins = new LoopbackOrigins();
    /** The front sockets of a {@link ListenerConfig.Serving#BY_SERVER_NAME} listener, one per event loop. */
    final List<FrontDoor> fronts = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The captured connections handed to this listener, by their loopback connection. */
    final Handoffs handoffs = new Handoffs(this::handoffAddress);
    /** The servers the acceptors bound, for a drain; {@link FrontDoor}s keep their loopback servers themselves. */
    private final GracefulServers servers = new GracefulServers();
    private volatile String deploymentId;
    private volatile Vertx vertx;
    private volatile TransparentAcceptor acceptor;

    private ServingListener(ListenerConfig config, ListenerContext context) {
        this.config = new AtomicReference<>(config);
        this.context = new AtomicReference<>(context);
    }

    /** Binds the listener's sockets: one set per event loop, each in its own verticle instance. */
    static Future<ServingListener> bind(Vertx vertx, MeshTls tls, NamedSecrets secrets, ListenerConfig config,
                                        Function<ListenerConfig, ListenerContext> contexts, int instances) {
        return bind(vertx, tls, secrets, config, contexts, instances, dst -> null);
    }

    /**
     * Binds the listener's sockets; a capture listener also gets its capture socket, which hands
     * each connection to {@code routes} (for {@link ListenerConfig.Binding#ORIGINAL_DST}: the listener
     * at its original destination, {@code null} for none) or else to this listener's own chains.
     */
    static Future<ServingListener> bind(Vertx vertx, MeshTls tls, NamedSecrets secrets, ListenerConfig config,
                                        Function<ListenerConfig, ListenerContext> contexts, int instances,
                                        Function<InetSocketAddress, HandoffTarget> routes) {
        ServingListener l = new ServingListener(config, contexts.apply(config));
        Future<ServingListener> bound = vertx.deployVerticle(() -> new Acceptor(l, tls, secrets, config), new DeploymentOptions().setInstances(instances))
                .map(id -> {
                    l.deploymentId = id;
                    l.vertx = vertx;
                    return l;
                });
        if (config.binding().captures()) {
            bound = bound.compose(x -> {
                InetSocketAddress at = new InetSocketAddress(config.address().host(), config.address().port());
                Function<InetSocketAddress, HandoffTarget> router = config.binding() == ListenerConfig.Binding.ORIGINAL_DST
                        ? dst -> {
                            HandoffTarget t = routes.apply(dst);
                            return t != null ? t : l.handoffs;
                        }
                        : dst -> l.handoffs;
                CaptureMode mode = config.interception() == ListenerConfig.Interception.TPROXY ? CaptureMode.TPROXY : CaptureMode.REDIRECT;
                return TransparentAcceptor.bind(vertx, config.name(), at, mode, router, l::rejected)
                        .map(a -> {
                            l.acceptor = a;
                            return l;
                        })
                        .recover(t -> vertx.undeploy(l.deploymentId).transform(u -> Future.failedFuture(t)));
            });
        }
        return bound.onSuccess(x -> LOG.info("listener bound [{} {}] serving={} binding={} chains={} loops={}", config.name(),
                config.address(), config.serving(), config.binding(), config.chains().size(), instances));
    }

    /** Where captured connections are handed to this listener: its front socket on loopback, else its own address. */
    InetSocketAddress handoffAddress() {
        ListenerConfig c = config.get();
        if (c.serving() == ListenerConfig.Serving.BY_SERVER_NAME && c.binding() != ListenerConfig.Binding.BOUND
                && !fronts.isEmpty()) {
            return new InetSocketAddress("127.0.0.1", fronts.get(0).port());
        }
        String host = c.address().host();
        return new InetSocketAddress(host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host, c.address().port());
    }

    /** One event loop's sockets of a listener. */
    private static final class Acceptor extends VerticleBase {
        private final ServingListener listener;
        private final MeshTls tls;
        private final NamedSecrets secrets;
        private final ListenerConfig config;

        Acceptor(ServingListener listener, MeshTls tls, NamedSecrets secrets, ListenerConfig config) {
            this.listener = listener;
            this.tls = tls;
            this.secrets = secrets;
            this.config = config;
        }

        @Override
        public Future<?> start() {
            boolean ownSocket = config.binding() == ListenerConfig.Binding.BOUND;
            String host = ownSocket ? config.address().host() : "127.0.0.1";
            int port = ownSocket ? config.address().port() : 0;
            FilterChainConfig main = config.main();
            return switch (config.serving()) {
                case DIRECT -> main.http().isPresent()
                        ? listener.httpServer(vertx, tls, secrets, host, port, main.tls(), main.maxHeaderBytes(),
                                listener::onDirectRequest, true).map(listener::track)
                        : listener.tcpServer(vertx, tls, secrets, host, port, main.tls(), listener::onDirectTcp).map(listener::track);
                case PERMISSIVE -> permissive(host, port, main);
                case SNI -> listener.sniServer(vertx, tls, secrets, host, port, config);
                case BY_SERVER_NAME -> new FrontDoor(listener, vertx, tls, secrets).start(host, port);
            };
        }

        /**
         * PERMISSIVE: looks at the first byte of a connection and hands it to the TLS server (a TLS
         * handshake record starts with 0x16) or to the plaintext server, over loopback.
         */
        private Future<?> permissive(String host, int port, FilterChainConfig main) {
            Optional<DownstreamTls> lenient = main.tls().map(t -> t.clientCertificate() == DownstreamTls.ClientCertificate.REQUIRE
                    ? new DownstreamTls(t.certificateSecret(), t.validationSecret(), DownstreamTls.ClientCertificate.REQUEST, t.alpn()) : t);
            Future<Integer> tlsPort = main.http().isPresent()
                    ? listener.httpServer(vertx, tls, secrets, "127.0.0.1", 0, lenient, main.maxHeaderBytes(), listener::onDirectRequest, false)
                            .map(listener::track).map(HttpServer::actualPort)
                    : listener.tcpServer(vertx, tls, secrets, "127.0.0.1", 0, lenient, listener::onDirectTcp)
                            .map(listener::track).map(NetServer::actualPort);
            Future<Integer> plainPort = main.http().isPresent()
                    ? listener.httpServer(vertx, tls, secrets, "127.0.0.1", 0, Optional.empty(), main.maxHeaderBytes(), listener::onDirectRequest, false)
                            .map(listener::track).map(HttpServer::actualPort)
                    : listener.tcpServer(vertx, tls, secrets, "127.0.0.1", 0, Optional.empty(), listener::onDirectTcp)
                            .map(listener::track).map(NetServer::actualPort);
            return Future.all(tlsPort, plainPort).compose(v -> {
                NetClient loopback = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
                return vertx.createNetServer(new NetServerOptions().setHost(host).setPort(port).setTcpNoDelay(true).setReuseAddress(true))
                        .connectHandler(s -> sniff(s, loopback, tlsPort.result(), plainPort.result()))
                        .listen()
                        .map(listener::track);
            });
        }

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

    /**
     * Binds an HTTP server with a chain's TLS (ALPN h2 and http/1.1) or none; returns the port bound.
     * With {@code limitConnections}, the main chain's connection limit is applied at accept.
     */
    Future<HttpServer> httpServer(Vertx vertx, MeshTls tls, NamedSecrets secrets, String host, int port, Optional<DownstreamTls> chainTls,
                                  int maxHeaderBytes, Handler<HttpServerRequest> handler, boolean limitConnections) {
        HttpServerOptions o = serverOptions(host, port, maxHeaderBytes).setHttp2ClearTextEnabled(true);
        if (chainTls.isPresent()) {
            tls.applyDownstream(o, chainTls.get(), secrets);
            o.setUseAlpn(true).setAlpnVersions(alpn(chainTls.get()));
        }
        HttpServer server = vertx.createHttpServer(o).requestHandler(handler);
        if (limitConnections) {
            server.connectionHandler(this::limitDirect);
        }
        return server.listen();
    }

    /**
     * What every HTTP server of a listener shares: address, no compression, header limits, idle timeout. No
     * WebSocket extensions either: upgrades are NACKed ({@code upgrade_configs}), and with the extensions on, Vert.x
     * puts a handler in every HTTP/1.1 connection's pipeline that looks for an upgrade in each request's headers.
     */
    private static HttpServerOptions serverOptions(String host, int port, int maxHeaderBytes) {
        return new HttpServerOptions()
                .setHost(host)
                .setPort(port)
                .setTcpNoDelay(true)
                .setReuseAddress(true)
                .setCompressionSupported(false)
                .setDecompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false)
                .setPerMessageWebSocketCompressionSupported(false)
                .setMaxHeaderSize(maxHeaderBytes)
                .setInitialSettings(new Http2Settings().setMaxHeaderListSize(maxHeaderBytes))
                .setIdleTimeout(IDLE_TIMEOUT_SECONDS);
    }

    /**
     * Binds the one TLS server of an {@link ListenerConfig.Serving#SNI} listener: the chains' shared
     * client-certificate policy, and each handshake's certificate chosen by its server name.
     */
    Future<Integer> sniServer(Vertx vertx, MeshTls tls, NamedSecrets secrets, String host, int port, ListenerConfig c) {
        DownstreamTls shared = c.main().tls().orElseThrow();
        HttpServerOptions o = serverOptions(host, port, c.main().maxHeaderBytes());
        tls.applyDownstream(o, shared, secrets);
        o.setSni(true).setKeyCertOptions(new SniKeyCertOptions(c.chains(), tls, secrets, () -> rejected("no_filter_chain_match")));
        o.setUseAlpn(true).setAlpnVersions(alpn(shared));
        return vertx.createHttpServer(o).requestHandler(this::onSniRequest).listen().map(this::track).map(HttpServer::actualPort);
    }

    private void onSniRequest(HttpServerRequest request) {
        String sni = request.connection().indicatedServerName();
        Optional<FilterChainConfig> chain = ChainSelector.select(config.get().chains(),
                sni == null ? null : sni.toLowerCase(java.util.Locale.ROOT), true);
        if (chain.isEmpty() || chain.get().http().isEmpty()) {
            rejected("no_filter_chain_match");
            request.connection().close();
            return;
        }
        if (badFraming(request)) {
            return;
        }
        HttpExchange.handle(request, context.get(), chain.get().http().get(), request.remoteAddress(), request.localAddress());
    }

    /** Binds a TCP server with a chain's TLS or none; returns the port bound. */
    Future<NetServer> tcpServer(Vertx vertx, MeshTls tls, NamedSecrets secrets, String host, int port, Optional<DownstreamTls> chainTls,
                                Handler<NetSocket> handler) {
        NetServerOptions o = new NetServerOptions().setHost(host).setPort(port).setTcpNoDelay(true).setReuseAddress(true);
        chainTls.ifPresent(t -> tls.applyDownstream(o, t, secrets));
        return vertx.createNetServer(o).connectHandler(handler).listen();
    }

    private static List<HttpVersion> alpn(DownstreamTls t) {
        if (t.alpn().isEmpty()) {
            return List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1);
        }
        return t.alpn().stream().map(p -> switch (p) {
            case "h2" -> HttpVersion.HTTP_2;
            case "http/1.0" -> HttpVersion.HTTP_1_0;
            default -> HttpVersion.HTTP_1_1;
        }).distinct().toList();
    }

    private void limitDirect(HttpConnection connection) {
        Optional<ConnectionLimit> limit = config.get().main().connectionLimit();
        if (limit.isEmpty()) {
            return;
        }
        ConnectionLimit l = limit.get();
        if (!l.tryAcquire()) {
            rejected("connection_limit");
            connection.close();
            return;
        }
        connection.closeHandler(v -> l.release());
    }

    /** Counts a connection or request the listener turned away, by reason. */
    void rejected(String reason) {
        ListenerContext ctx = context.get();
        ctx.telemetry().registry().counter("isthmus_downstream_rejected", "listener", ctx.listener(), "reason", reason).increment();
    }

    private void onDirectRequest(HttpServerRequest request) {
        ListenerConfig c = config.get();
        if (badFraming(request)) {
            return;
        }
        HttpExchange.handle(request, context.get(), c.main().http().orElseThrow(), request.remoteAddress(), request.localAddress());
    }

    /** Serves a request that came through the front socket, with the client's address and chain it registered. */
    void onInternalRequest(HttpServerRequest request) {
        LoopbackOrigins.Origin origin = origins.of(request.remoteAddress(), request.localAddress());
        if (origin == null || origin.chain().http().isEmpty()) {
            request.connection().close();
            return;
        }
        if (badFraming(request)) {
            return;
        }
        Optional<FilterChainConfig> current = currentChain(origin.chain());
        if (current.isEmpty()) {
            // the chain this connection was accepted on is gone: serve this request as before, then
            // drain the connection so the client reconnects onto the chains now in force
            request.response().putHeader(HttpHeaders.CONNECTION, "close");
        }
        HttpExchange.handle(request, context.get(), current.orElse(origin.chain()).http().get(), origin.remote(), origin.local());
    }

    /**
     * The chain now in force that matches as {@code accepted} did (same server names, transport
     * protocol and TLS), so requests on kept-alive connections get the filters of the latest LDS
     * update (an RBAC policy added to the chain applies to them at once); empty when no such chain
     * remains.
     */
    private Optional<FilterChainConfig> currentChain(FilterChainConfig accepted) {
        for (FilterChainConfig c : config.get().chains()) {
            if (c == accepted) {
                return Optional.of(c);
            }
        }
        for (FilterChainConfig c : config.get().chains()) {
            if (c.http().isPresent() && c.serverNames().equals(accepted.serverNames())
                    && c.transportProtocol().equals(accepted.transportProtocol()) && c.tls().equals(accepted.tls())) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    private void onDirectTcp(NetSocket s) {
        ListenerConfig c = config.get();
        Optional<ConnectionLimit> limit = c.main().connectionLimit();
        if (limit.isPresent() && !limit.get().tryAcquire()) {
            rejected("connection_limit");
            s.close();
            return;
        }
        TcpProxy.handle(s, io.vertx.core.buffer.Buffer.buffer(), context.get(), c.main().tcp().orElseThrow(),
                () -> limit.ifPresent(ConnectionLimit::release));
    }

    /** Serves a TLS-terminated TCP connection that came through the front socket. */
    void onInternalTcp(NetSocket s) {
        LoopbackOrigins.Origin origin = origins.of(s.remoteAddress(), s.localAddress());
        if (origin == null || origin.chain().tcp().isEmpty()) {
            s.close();
            return;
        }
        TcpProxy.handle(s, io.vertx.core.buffer.Buffer.buffer(), "", context.get(), origin.chain().tcp().get(), () -> { },
                origin.local());
    }

    private static boolean badFraming(HttpServerRequest request) {
        if (request.headers().contains(HttpHeaders.CONTENT_LENGTH) && request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
            ErrorResponder.respond(request.response().putHeader(HttpHeaders.CONNECTION, "close"),
                    new ProxyFailure(ResponseFlag.DOWNSTREAM_PROTOCOL_ERROR, 400, "both Content-Length and Transfer-Encoding"),
                    ResponseFlag.DOWNSTREAM_PROTOCOL_ERROR.code());
            request.connection().close();
            return true;
        }
        return false;
    }

    /** The config served. */
    ListenerConfig config() {
        return config.get();
    }

    /** The filters' context in force. */
    ListenerContext context() {
        return context.get();
    }

    /** Serves a new config on the same sockets (the caller checked {@link ListenerConfig#sameSocket}). */
    void update(ListenerConfig next, ListenerContext nextContext) {
        context.set(nextContext);
        config.set(next);
        fronts.forEach(f -> f.prune(next));
    }

    /** Remembers a server of this listener, so that {@link #drain} can shut it down gracefully. */
    HttpServer track(HttpServer server) {
        return servers.add(server);
    }

    /** Remembers a server of this listener, so that {@link #drain} can shut it down gracefully. */
    NetServer track(NetServer server) {
        return servers.add(server);
    }

    /**
     * A listener's drain under way.
     *
     * @param released completes when the listener's address is free for another socket
     * @param done completes when its last connection is closed and its deployment is gone
     */
    record Drain(Future<Void> released, Future<Void> done) {
    }

    /**
     * Drains the listener, as Envoy drains a listener an update removes or replaces: its sockets stop accepting at once
     * (a capture socket first); an idle HTTP/1.1 connection is closed at once and a busy one once its response is
     * complete; an HTTP/2 connection gets a GOAWAY and finishes its streams; a TCP connection goes on. Whatever is
     * still open after {@code time} is closed. A zero time closes everything at once ({@link #close}).
     */
    Drain drain(Duration time) {
        if (time.isZero() || deploymentId == null) {
            Future<Void> closed = close();
            return new Drain(closed, closed);
        }
        long millis = Math.max(1, time.toMillis());
        ListenerConfig c = config.get();
        Future<Void> capture = acceptor == null ? Future.succeededFuture() : acceptor.close();
        List<Future<Void>> shutdowns = new ArrayList<>(servers.shutdown(millis));
        fronts.forEach(f -> shutdowns.add(f.drain(millis)));
        Future<Void> done = Future.join(shutdowns).transform(ar -> capture).transform(ar -> vertx.undeploy(deploymentId));
        // a capture listener's own sockets are on loopback ports of their own: only its capture socket holds its address
        Future<Void> released = c.binding() != ListenerConfig.Binding.BOUND ? capture
                : capture.transform(ar -> GracefulServers.released(vertx, c.address())).map(free -> {
                    if (!free) {
                        LOG.warn("listener socket still open after {} s [{} {}]", GracefulServers.RELEASE_WAIT_SECONDS,
                                c.name(), c.address());
                    }
                    return null;
                });
        return new Drain(released, done);
    }

    /** Closes the sockets; open connections are closed with them. */
    Future<Void> close() {
        Future<Void> capture = acceptor == null ? Future.succeededFuture() : acceptor.close();
        return capture.compose(v -> deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId));
    }
}
