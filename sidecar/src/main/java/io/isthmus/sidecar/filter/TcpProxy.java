package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.cluster.UpstreamCluster;
import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.EndpointState;
import io.isthmus.sidecar.errors.ResponseFlag;
import io.isthmus.sidecar.telemetry.ConnectionRecord;
import io.isthmus.sidecar.tls.SpiffeIdentity;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's TCP proxy: checks network RBAC, picks the connection's cluster (the chain's only one, or
 * one of its weighted clusters by weight), connects to an endpoint of that cluster (trying another
 * endpoint of the same cluster when a connect fails, up to three), then relays bytes both ways with
 * backpressure until either side closes. Metrics and the access log name the picked cluster.
 */
public final class TcpProxy {

    private static final Logger LOG = LoggerFactory.getLogger(TcpProxy.class);

    private TcpProxy() {
    }

    /** Handles one accepted connection. */
    public static void handle(NetSocket down, ListenerContext ctx, TcpChain chain) {
        handle(down, Buffer.buffer(), ctx, chain, () -> { });
    }

    /**
     * Handles one accepted connection whose first bytes, {@code prefix}, were already read (a
     * ClientHello inspected for its server name): they are sent upstream first, untouched.
     * {@code onClose} runs once when the connection ends, however it ends.
     */
    public static void handle(NetSocket down, Buffer prefix, ListenerContext ctx, TcpChain chain, Runnable onClose) {
        handle(down, prefix, "", ctx, chain, onClose);
    }

    /**
     * Like {@link #handle(NetSocket, Buffer, ListenerContext, TcpChain, Runnable)} for a TLS connection
     * passed through untouched, whose server name {@code sni} was read from its ClientHello (RBAC's
     * {@code requested_server_name}).
     */
    public static void handle(NetSocket down, Buffer prefix, String sni, ListenerContext ctx, TcpChain chain, Runnable onClose) {
        handle(down, prefix, sni, ctx, chain, onClose, down.localAddress());
    }

    /**
     * Like {@link #handle(NetSocket, Buffer, String, ListenerContext, TcpChain, Runnable)} for a
     * connection whose original destination is {@code originalDst} (a captured connection handed
     * over loopback), where an ORIGINAL_DST cluster connects.
     */
    public static void handle(NetSocket down, Buffer prefix, String sni, ListenerContext ctx, TcpChain chain, Runnable onClose,
                              SocketAddress originalDst) {
        Runnable closed = once(onClose);
        down.closeHandler(v -> closed.run());
        down.pause();
        String peer = peer(down);
        if (!chain.rbac().isEmpty() && !RbacPolicy.allowedByAll(chain.rbac(), rbacRequest(down, peer, sni))) {
            LOG.debug("tcp connection denied by RBAC [{} {} {}]", ctx.listener(), down.remoteAddress(), peer);
            down.close();
            return;
        }
        // picked once: every connect attempt of this connection goes to an endpoint of this cluster
        String picked = chain.pick(ctx.random());
        Optional<UpstreamCluster> cluster = ctx.directory().cluster(picked);
        if (cluster.isEmpty()) {
            LOG.debug("tcp connection refused, unknown cluster [{} {} cluster={}]", ctx.listener(), down.remoteAddress(), picked);
            down.close();
            return;
        }
        OptionalLong hash = OptionalLong.empty();
        if (chain.hashSourceIp() && down.remoteAddress() != null && down.remoteAddress().hostAddress() != null) {
            // Envoy's source_ip hash: xxHash64 of the client's address as text
            hash = OptionalLong.of(io.isthmus.sidecar.lb.XxHash64.hash(down.remoteAddress().hostAddress()));
        }
        connect(down, prefix, closed, ctx, cluster.get(), peer, new HashSet<>(), 1, chain.maxConnectAttempts(), originalDst, hash,
                System.nanoTime());
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

    private static void connect(NetSocket down, Buffer prefix, Runnable onClose, ListenerContext ctx, UpstreamCluster cluster,
                                String peer, Set<Endpoint> tried, int attempt, int maxAttempts, SocketAddress originalDst,
                                OptionalLong hash, long startNanos) {
        Endpoint ep = cluster.choose(tried, originalDst, hash);
        if (ep == null) {
            // refused before any upstream (e.g. BlackHoleCluster), or every endpoint tried refused
            refused(down, ctx, cluster, peer, attempt == 1 ? ResponseFlag.NO_HEALTHY_UPSTREAM : ResponseFlag.UPSTREAM_CONNECTION_FAILURE,
                    startNanos);
            LOG.debug("tcp connection refused, no {}upstream [{} {} cluster={} dst={}]", attempt == 1 ? "" : "further ",
                    ctx.listener(), down.remoteAddress(), cluster.name(), originalDst);
            down.close();
            return;
        }
        tried.add(ep);
        ep.state().requestStarted();
        ConnectOptions o = new ConnectOptions().setHost(ep.address().host()).setPort(ep.address().port());
        cluster.tlsFor(ep).ifPresent(t -> {
            o.setSsl(true);
            if (!t.sni().isEmpty()) {
                // The SNI as the peer host, as the HTTP clients do: the engine options send it even with the '_' of
                // mesh SNIs (outbound_.7070_._.db...), which Vert.x's own server-name option refuses.
                o.setRemoteAddress(io.vertx.core.net.SocketAddress.inetSocketAddress(ep.address().port(), ep.address().host()))
                        .setHost(t.sni());
            }
        });
        cluster.netClient(ep).connect(o).onComplete(ar -> {
            if (ar.failed()) {
                ep.state().requestEnded();
                cluster.record(ep, EndpointState.Outcome.LOCAL_FAILURE);
                LOG.debug("tcp upstream connect failed [{} cluster={} endpoint={} attempt={}]: {}", ctx.listener(), cluster.name(),
                        ep.address(), attempt, ar.cause().toString());
                if (attempt < maxAttempts) {
                    connect(down, prefix, onClose, ctx, cluster, peer, tried, attempt + 1, maxAttempts, originalDst, hash, startNanos);
                } else {
                    refused(down, ctx, cluster, peer, ResponseFlag.UPSTREAM_CONNECTION_FAILURE, startNanos);
                    down.close();
                }
                return;
            }
            cluster.record(ep, EndpointState.Outcome.SUCCESS);
            relay(down, prefix, onClose, ar.result(), ctx, cluster, ep, peer, startNanos);
        });
    }

    /**
     * Counts a connection closed before any byte was relayed, as Istio does (opened and closed, no bytes), and writes
     * its access-log line with {@code flag}: {@code UH} when the cluster had no endpoint, {@code UF} when every connect
     * attempt failed.
     */
    private static void refused(NetSocket down, ListenerContext ctx, UpstreamCluster cluster, String peer, ResponseFlag flag,
                                long startNanos) {
        String principal = ctx.direction() == Direction.INBOUND ? peer : "";
        ConnectionRecord c = new ConnectionRecord(ctx.direction().label(), ctx.listener(), cluster.name(), "",
                flag.code(), principal, "", 0, 0, (System.nanoTime() - startNanos) / 1e6, downstreamAddress(ctx, down),
                inboundService(ctx, cluster));
        ctx.telemetry().tcpOpened(c);
        ctx.telemetry().tcpClosed(c);
    }

    /** The service an inbound connection is for, by its cluster's metadata (the first it lists); empty outbound. */
    private static String inboundService(ListenerContext ctx, UpstreamCluster cluster) {
        return ctx.direction() == Direction.INBOUND ? cluster.config().serviceFor("") : "";
    }

    private static void relay(NetSocket down, Buffer prefix, Runnable onClose, NetSocket up, ListenerContext ctx,
                              UpstreamCluster cluster, Endpoint ep, String peer, long startNanos) {
        String principal = ctx.direction() == Direction.INBOUND ? peer : peer(up);
        String client = downstreamAddress(ctx, down);
        String service = inboundService(ctx, cluster);
        ctx.telemetry().tcpOpened(new ConnectionRecord(ctx.direction().label(), ctx.listener(), cluster.name(), "", "-",
                principal, ep.clusterId(), 0, 0, 0, client, service));
        long[] bytes = new long[2];
        boolean[] closed = new boolean[1];
        Runnable close = () -> {
            if (!closed[0]) {
                closed[0] = true;
                ep.state().requestEnded();
                onClose.run();
                down.close();
                up.close();
                boolean logged = ctx.telemetry().accessLogEnabled();
                ctx.telemetry().tcpClosed(new ConnectionRecord(ctx.direction().label(), ctx.listener(), cluster.name(),
                        logged ? ep.address().toString() : "", "-", principal, ep.clusterId(),
                        bytes[0], bytes[1], (System.nanoTime() - startNanos) / 1e6, client, service));
            }
        };
        down.handler(b -> {
            bytes[0] += b.length();
            up.write(b);
            if (up.writeQueueFull()) {
                down.pause();
                up.drainHandler(v -> down.resume());
            }
        });
        up.handler(b -> {
            bytes[1] += b.length();
            down.write(b);
            if (down.writeQueueFull()) {
                up.pause();
                down.drainHandler(v -> up.resume());
            }
        });
        if (prefix.length() > 0) {
            bytes[0] += prefix.length();
            up.write(prefix);
        }
        down.closeHandler(v -> close.run());
        up.closeHandler(v -> close.run());
        down.exceptionHandler(t -> close.run());
        up.exceptionHandler(t -> close.run());
        down.resume();
    }

    /** The client's address for the access log, its only reader; empty when the log is off. */
    private static String downstreamAddress(ListenerContext ctx, NetSocket down) {
        SocketAddress a = ctx.telemetry().accessLogEnabled() ? down.remoteAddress() : null;
        return a == null ? "" : a.toString();
    }

    private static String peer(NetSocket s) {
        try {
            if (s.isSsl() && !s.peerCertificates().isEmpty() && s.peerCertificates().get(0) instanceof X509Certificate x) {
                return SpiffeIdentity.uriSan(x).orElse("");
            }
        } catch (Exception e) {
            // no verified peer certificate
        }
        return "";
    }

    private static RbacRequest rbacRequest(NetSocket s, String peer, String passedSni) {
        InetAddress src = null;
        InetAddress dst = null;
        try {
            src = InetAddress.getByName(s.remoteAddress().hostAddress());
            dst = InetAddress.getByName(s.localAddress().hostAddress());
        } catch (Exception e) {
            // unknown addresses match no IP rule
        }
        String sni = s.isSsl() && s.indicatedServerName() != null ? s.indicatedServerName() : passedSni;
        return new RbacRequest(peer, src, dst, s.localAddress().port(), sni, "", "", "",
                io.vertx.core.http.HttpHeaders.headers());
    }
}
