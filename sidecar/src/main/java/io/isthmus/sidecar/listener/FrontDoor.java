package io.isthmus.sidecar.listener;

import io.isthmus.mesh.sni.ClientHelloParser;
import io.isthmus.mesh.sni.HelloRefusal;
import io.isthmus.mesh.sni.HelloResult;
import io.isthmus.sidecar.filter.ConnectionLimit;
import io.isthmus.sidecar.filter.TcpProxy;
import io.isthmus.sidecar.tls.DownstreamTls;
import io.isthmus.sidecar.tls.MeshTls;
import io.isthmus.sidecar.tls.NamedSecrets;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front socket of a listener with several filter chains, on one event loop: Envoy's
 * {@code tls_inspector} reads the server name from the ClientHello without consuming it, the chain is
 * chosen as Envoy does ({@link ChainSelector}), its connection limit applied, and then the bytes read
 * so far and the rest of the connection go to the chain: a TLS-passthrough TCP chain relays them to
 * its cluster untouched; a terminating or HTTP chain is served by an internal server on loopback (one
 * per TLS setting, bound on first use) which learns the client's real address from
 * {@link LoopbackOrigins}. A connection that matches no chain is closed and counted. Confined to its
 * event loop.
 */
final class FrontDoor {

    private static final Logger LOG = LoggerFactory.getLogger(FrontDoor.class);
    /** Envoy's {@code listener_filters_timeout}: how long a client may take to send its ClientHello. */
    static final long INSPECT_TIMEOUT_MILLIS = 15_000;

    /** What an internal server is bound for: its TLS, protocol and header limit. */
    private record ServerKey(Optional<DownstreamTls> tls, boolean http, int maxHeaderBytes) {
        ServerKey {
            Objects.requireNonNull(tls, "tls");
        }
    }

    private final ServingListener listener;
    private final Vertx vertx;
    private final MeshTls tls;
    private final NamedSecrets secrets;
    /** How long an internal server no chain uses any more lets its open connections finish. */
    static final long RETIRE_SECONDS = 30;

    /** A bound internal server: its port and how to shut it down gracefully, given the milliseconds its connections may take. */
    private record Internal(int port, java.util.function.LongFunction<Future<Void>> shutdown) {
    }

    private final Map<ServerKey, Future<Internal>> servers = new HashMap<>();
    private NetClient loopback;
    private io.vertx.core.Context context;
    private volatile int port;

    FrontDoor(ServingListener listener, Vertx vertx, MeshTls tls, NamedSecrets secrets) {
        this.listener = listener;
        this.vertx = vertx;
        this.tls = tls;
        this.secrets = secrets;
    }

    Future<?> start(String host, int port) {
        context = vertx.getOrCreateContext();
        listener.fronts.add(this);
        loopback = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
        return vertx.createNetServer(new NetServerOptions().setHost(host).setPort(port).setTcpNoDelay(true).setReuseAddress(true))
                .connectHandler(this::accept)
                .listen()
                .map(listener::track)
                .onSuccess(server -> this.port = server.actualPort());
    }

    /** The port the front socket is bound to (0 until bound). */
    int port() {
        return port;
    }

    private void accept(NetSocket s) {
        ListenerConfig c = listener.config();
        Handoffs.Handoff handoff = listener.handoffs.of(s.remoteAddress(), s.localAddress());
        if (handoff == null && c.binding() != ListenerConfig.Binding.BOUND) {
            LOG.debug("connection to a capture listener's loopback socket that was not handed off [{} {}]", c.name(), s.remoteAddress());
            listener.rejected("not_handed_off");
            s.close();
            return;
        }
        SocketAddress remote = handoff == null ? s.remoteAddress() : handoff.remote();
        SocketAddress local = handoff == null ? s.localAddress() : handoff.local();
        boolean inspect = c.chains().stream().anyMatch(ch -> !ch.serverNames().isEmpty() || !ch.transportProtocol().isEmpty()
                || ch.tls().isPresent());
        if (!inspect) {
            choose(s, c, Buffer.buffer(), false, null, remote, local);
            return;
        }
        ClientHelloParser parser = new ClientHelloParser();
        Buffer seen = Buffer.buffer();
        long timer = vertx.setTimer(INSPECT_TIMEOUT_MILLIS, id -> {
            LOG.debug("no ClientHello in time [{} {}]", c.name(), s.remoteAddress());
            s.close();
        });
        s.closeHandler(v -> vertx.cancelTimer(timer));
        s.exceptionHandler(t -> s.close());
        s.handler(b -> {
            seen.appendBuffer(b);
            HelloResult r = parser.offer(b.getBytes());
            if (r instanceof HelloResult.NeedMore) {
                return;
            }
            vertx.cancelTimer(timer);
            s.handler(null);
            s.pause();
            ListenerConfig now = listener.config();
            if (r instanceof HelloResult.ServerName sn) {
                choose(s, now, seen, true, sn.serverName(), remote, local);
            } else {
                HelloRefusal why = ((HelloResult.Refused) r).reason();
                choose(s, now, seen, why != HelloRefusal.NOT_TLS, null, remote, local);
            }
        });
    }

    private void choose(NetSocket s, ListenerConfig c, Buffer prefix, boolean isTls, String sni, SocketAddress remote, SocketAddress local) {
        Optional<FilterChainConfig> chain = ChainSelector.select(c.chains(), address(local), local.port(), sni, isTls);
        if (chain.isEmpty()) {
            LOG.debug("no filter chain matches [{} {} dst={} sni={} tls={}]", c.name(), remote, local, sni, isTls);
            listener.rejected("no_filter_chain_match");
            s.close();
            return;
        }
        FilterChainConfig fc = chain.get();
        Optional<ConnectionLimit> limit = fc.connectionLimit();
        if (limit.isPresent() && !limit.get().tryAcquire()) {
            listener.rejected("connection_limit");
            s.close();
            return;
        }
        Runnable release = once(() -> limit.ifPresent(ConnectionLimit::release));
        if (fc.tls().isEmpty() && fc.tcp().isPresent()) {
            TcpProxy.handle(s, prefix, sni == null ? "" : sni, listener.context(), fc.tcp().get(), release, local);
            return;
        }
        boolean[] gone = new boolean[1];
        s.closeHandler(v -> {
            gone[0] = true;
            release.run();
        });
        s.pause();
        ServerKey key = new ServerKey(fc.tls(), fc.http().isPresent(), fc.maxHeaderBytes());
        server(key).onComplete(ar -> {
            if (ar.failed()) {
                LOG.warn("internal server failed [{} {}]: {}", c.name(), fc.name(), ar.cause().toString());
                s.close();
                return;
            }
            if (gone[0]) {
                return;
            }
            relay(s, prefix, fc, ar.result().port(), release, gone, remote, local);
        });
    }

    private Future<Internal> server(ServerKey key) {
        return servers.computeIfAbsent(key, k -> {
            Future<Internal> f = k.http()
                    ? listener.httpServer(vertx, tls, secrets, "127.0.0.1", 0, k.tls(), k.maxHeaderBytes(), listener::onInternalRequest, false)
                            .map(h -> new Internal(h.actualPort(), millis -> h.shutdown(millis, java.util.concurrent.TimeUnit.MILLISECONDS)))
                    : listener.tcpServer(vertx, tls, secrets, "127.0.0.1", 0, k.tls(), listener::onInternalTcp)
                            .map(n -> new Internal(n.actualPort(), millis -> n.shutdown(millis, java.util.concurrent.TimeUnit.MILLISECONDS)));
            f.onFailure(t -> servers.remove(k));
            return f;
        });
    }

    /**
     * After a config change: internal servers whose TLS setting no chain uses any more stop accepting
     * and let their open connections finish (up to {@link #RETIRE_SECONDS}), on this front's event loop.
     */
    void prune(ListenerConfig next) {
        if (context == null) {
            return;
        }
        java.util.Set<ServerKey> used = new java.util.HashSet<>();
        for (FilterChainConfig c : next.chains()) {
            used.add(new ServerKey(c.tls(), c.http().isPresent(), c.maxHeaderBytes()));
        }
        context.runOnContext(v -> {
            var it = servers.entrySet().iterator();
            while (it.hasNext()) {
                var e = it.next();
                if (!used.contains(e.getKey())) {
                    it.remove();
                    e.getValue().onSuccess(i -> i.shutdown().apply(RETIRE_SECONDS * 1000));
                    LOG.debug("internal server retired [{} port={}]", next.name(), e.getValue().result() == null ? 0
                            : e.getValue().result().port());
                }
            }
        });
    }

    /**
     * The listener drains: every internal server stops accepting and its open connections get {@code millis} to finish
     * (the front socket is the listener's to shut down), on this front's event loop.
     */
    Future<Void> drain(long millis) {
        if (context == null) {
            return Future.succeededFuture();
        }
        io.vertx.core.Promise<Void> drained = io.vertx.core.Promise.promise();
        context.runOnContext(v -> {
            java.util.List<Future<Void>> shutdowns = new java.util.ArrayList<>();
            servers.values().forEach(f -> shutdowns.add(f.compose(i -> i.shutdown().apply(millis))));
            servers.clear();
            Future.join(shutdowns).onComplete(ar -> drained.complete());
        });
        return drained.future();
    }

    private static Runnable once(Runnable r) {
        boolean[] done = new boolean[1];
        return () -> {
            if (!done[0]) {
                done[0] = true;
                r.run();
            }
        };
    }

    private static java.net.InetAddress address(SocketAddress a) {
        String host = a.hostAddress();
        if (host == null || host.isEmpty()) {
            return null;
        }
        try {
            return java.net.InetAddress.getByName(host); // an IP literal: no lookup
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    private void relay(NetSocket down, Buffer prefix, FilterChainConfig chain, int port, Runnable release, boolean[] gone,
                       SocketAddress remote, SocketAddress local) {
        loopback.connect(port, "127.0.0.1").onComplete(ar -> {
            if (ar.failed()) {
                down.close();
                return;
            }
            NetSocket up = ar.result();
            if (gone[0]) {
                up.close();
                return;
            }
            int clientPort = up.localAddress().port();
            listener.origins.register(clientPort, port, new LoopbackOrigins.Origin(remote, local, chain));
            up.closeHandler(v -> {
                listener.origins.remove(clientPort, port);
                down.close();
            });
            down.closeHandler(v -> {
                release.run();
                up.close();
            });
            if (prefix.length() > 0) {
                up.write(prefix);
            }
            down.pipeTo(up);
            up.pipeTo(down);
        });
    }
}
