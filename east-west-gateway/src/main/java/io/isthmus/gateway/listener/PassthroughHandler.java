package io.isthmus.gateway.listener;

import io.isthmus.gateway.RefusalReason;
import io.isthmus.gateway.lb.EndpointSelector;
import io.isthmus.gateway.relay.Relay;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.gateway.route.RouteDecision;
import io.isthmus.mesh.sni.ClientHelloParser;
import io.isthmus.mesh.sni.HelloResult;
import io.isthmus.gateway.telemetry.GatewayMetrics.ServiceMeters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handler of one downstream connection, its only one: reads the ClientHello under a deadline,
 * keeping every byte; then routes by its server name and connects to the endpoints in order until one
 * accepts, marking those that refuse. Hands over to a {@link Relay}, replaying the kept bytes, and from
 * then on passes every inbound event to the relay (no pipeline change per connection). Not a byte is
 * sent upstream before an endpoint accepted the connection.
 *
 * <p>Confined to the connection's event loop.
 */
final class PassthroughHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(PassthroughHandler.class);
    /** Slack over the parser's budget for bytes that arrive in the same reads as the ClientHello. */
    private static final int EXTRA_BUFFERED = 16 * 1024;

    private enum State { HELLO, CONNECTING, RELAYING, DONE }

    private final PassthroughContext context;
    private final ClientHelloParser parser;
    private State state = State.HELLO;
    /** Bytes read so far: the first read's buffer alone, a composite once a second one arrives. */
    private ByteBuf pending;
    private ScheduledFuture<?> deadline;
    private boolean admitted;
    private boolean counted;
    private boolean inputShutdown;
    /** The relay's downstream handler once relaying. */
    private Relay.Side relay;

    PassthroughHandler(PassthroughContext context) {
        this.context = context;
        this.parser = new ClientHelloParser(context.options().maxHelloSize());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        InetSocketAddress remote = (InetSocketAddress) ch.remoteAddress();
        context.metrics().connectionAccepted();
        counted = true;
        RefusalReason no = context.admission().admit(remote == null ? null : remote.getAddress());
        if (no != null) {
            refuse(ctx, no, context.admission().open() + " open connections");
            return;
        }
        admitted = true;
        context.metrics().helloStarted();
        deadline = ctx.executor().schedule(() -> {
            if (state == State.HELLO) {
                refuse(ctx, RefusalReason.HELLO_TIMEOUT, "no complete ClientHello within " + context.options().helloTimeout());
            }
        }, context.options().helloTimeout().toMillis(), TimeUnit.MILLISECONDS);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.RELAYING) {
            relay.channelRead(ctx, msg);
            return;
        }
        if (!(msg instanceof ByteBuf buf) || state == State.DONE || !admitted) {
            ReferenceCountUtil.release(msg);
            return;
        }
        HelloResult result = state == State.HELLO ? parser.offer(buf.nioBuffer()) : parser.result();
        keep(ctx, buf);
        if (pending.readableBytes() > parser.maxConsumedBytes() + EXTRA_BUFFERED) {
            refuse(ctx, RefusalReason.OVERSIZED, pending.readableBytes() + " bytes buffered");
            return;
        }
        if (state != State.HELLO) {
            // Bytes after the ClientHello while connecting (a TLS client normally sends none before the
            // server answers): keep them and stop reading until the relay starts.
            ctx.channel().config().setAutoRead(false);
            return;
        }
        if (result instanceof HelloResult.Refused r) {
            refuse(ctx, RefusalReason.of(r.reason()), r.detail());
        } else if (result instanceof HelloResult.ServerName name) {
            serverName(ctx, name.serverName());
        }
    }

    private void serverName(ChannelHandlerContext ctx, String serverName) {
        state = State.CONNECTING;
        deadline.cancel(false);
        context.metrics().helloDone();
        if (!context.routesReady().isDone() && !context.router().fixed(serverName)) {
            // Just started: hold the connection until the controller's first routes arrive, rather
            // than refusing services the gateway is about to know.
            ScheduledFuture<?> wait = ctx.executor().schedule(() -> refuse(ctx, RefusalReason.NOT_READY,
                    "no routes from the controller within " + context.options().helloTimeout()),
                    context.options().helloTimeout().toMillis(), TimeUnit.MILLISECONDS);
            context.routesReady().whenComplete((v, e) -> ctx.executor().execute(() -> {
                wait.cancel(false);
                if (state == State.CONNECTING) {
                    route(ctx, serverName);
                }
            }));
            return;
        }
        route(ctx, serverName);
    }

    private void route(ChannelHandlerContext ctx, String serverName) {
        RouteDecision decision = context.router().route(serverName);
        if (decision instanceof RouteDecision.Refuse r) {
            refuse(ctx, r.reason(), r.detail());
            return;
        }
        RouteDecision.Pass pass = (RouteDecision.Pass) decision;
        EndpointSelector selector = context.selector();
        List<GatewayEndpoint> order = selector.attemptOrder(pass.clusterName(), pass.endpoints(), context.options().maxConnectAttempts());
        connect(ctx, pass, order, 0);
    }

    private void connect(ChannelHandlerContext ctx, RouteDecision.Pass pass, List<GatewayEndpoint> order, int attempt) {
        if (state != State.CONNECTING) {
            return;
        }
        if (attempt >= order.size()) {
            refuse(ctx, RefusalReason.UPSTREAM_CONNECT_FAILED, order.size() + " endpoints of " + pass.clusterName() + " refused");
            return;
        }
        GatewayEndpoint endpoint = order.get(attempt);
        PassthroughOptions o = context.options();
        // The socket is made and registered by hand rather than by a Bootstrap per connection (its option
        // map, reflective factory and resolver lookup). Auto-read off until the relay starts; TCP_NODELAY
        // is on already (Netty sets it on every new socket; setting it again costs a system call).
        Channel upstream = context.transport().newSocketChannel(endpoint.address().getAddress());
        ChannelConfig config = upstream.config();
        config.setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, o.connectTimeout().toMillis()));
        config.setAutoRead(false);
        config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        config.setWriteBufferWaterMark(context.writeBufferWaterMark());
        config.setRecvByteBufAllocator(PassthroughServer.RECEIVE_BUFFERS);
        if (upstream instanceof AbstractEpollStreamChannel) {
            // Read interest before registration: the socket enters epoll with EPOLLIN set once it connects,
            // instead of one more epoll_ctl when the relay turns reading on (auto-read stays off until then).
            upstream.unsafe().beginRead();
        }
        ChannelFuture registered = ctx.channel().eventLoop().register(upstream);
        ChannelFuture f = registered.isDone() && !registered.isSuccess() ? registered : upstream.connect(endpoint.address());
        f.addListener(done -> {
            if (done.isSuccess()) {
                context.selector().outliers().connectSucceeded(endpoint.address());
                relay(ctx, pass, endpoint, upstream);
            } else {
                upstream.close();
                context.selector().outliers().connectFailed(endpoint.address());
                context.metrics().service(pass.destinationService()).connectFailures().increment();
                LOG.info("endpoint refused connection [{} {}] from {}: {}, ejected", pass.clusterName(), endpoint, peer(ctx.channel()),
                        done.cause() == null ? "?" : done.cause().getMessage());
                connect(ctx, pass, order, attempt + 1);
            }
        });
    }

    private void relay(ChannelHandlerContext ctx, RouteDecision.Pass pass, GatewayEndpoint endpoint, Channel upstream) {
        Channel downstream = ctx.channel();
        if (state != State.CONNECTING || !downstream.isActive()) {
            upstream.close();
            return;
        }
        state = State.RELAYING;
        ServiceMeters meters = context.metrics().service(pass.destinationService());
        meters.opened().increment();
        ByteBuf replay = pending;
        pending = null;
        Label label = new Label(pass.clusterName(), downstream, endpoint.address());
        LOG.debug("passing connection {}", label);
        relay = Relay.start(downstream, upstream, replay, meters, context.spliceAfterBytes(), context.options().idleTimeout(),
                        context.options().spliceEndpointBuffer(), label)
                .downstreamHandler();
        if (inputShutdown) {
            relay.userEventTriggered(ctx, ChannelInputShutdownEvent.INSTANCE);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.RELAYING) {
            relay.channelReadComplete(ctx);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (state == State.RELAYING) {
            relay.channelWritabilityChanged(ctx);
        } else {
            ctx.fireChannelWritabilityChanged();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (state == State.RELAYING) {
            relay.userEventTriggered(ctx, evt);
            return;
        }
        if (evt instanceof ChannelInputShutdownEvent) {
            if (state == State.HELLO) {
                refuse(ctx, RefusalReason.CLOSED_BEFORE_HELLO, "client closed after " + (pending == null ? 0 : pending.readableBytes()) + " bytes");
            } else {
                inputShutdown = true;
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state == State.RELAYING) {
            relay.channelInactive(ctx);
        } else if (state == State.HELLO && admitted) {
            refuse(ctx, RefusalReason.CLOSED_BEFORE_HELLO, "client closed");
        }
        state = State.DONE;
        if (counted) {
            counted = false;
            closed();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state == State.RELAYING) {
            relay.exceptionCaught(ctx, cause);
            return;
        }
        LOG.debug("connection error from {} in {}: {}", peer(ctx.channel()), state, cause.toString());
        state = State.DONE;
        ctx.close();
    }

    private void refuse(ChannelHandlerContext ctx, RefusalReason reason, String detail) {
        if (state == State.DONE || state == State.RELAYING) {
            return;
        }
        if (state == State.HELLO && admitted) {
            context.metrics().helloDone();
        }
        state = State.DONE;
        context.metrics().refused(reason);
        if (LOG.isDebugEnabled()) {
            LOG.debug("refused connection from {}: {} ({})", peer(ctx.channel()), reason.label(), detail);
        }
        if (deadline != null) {
            deadline.cancel(false);
        }
        ctx.close();
    }

    /** Keeps a buffer read before relaying, to replay it upstream. */
    private void keep(ChannelHandlerContext ctx, ByteBuf buf) {
        if (pending == null) {
            pending = buf;
        } else {
            CompositeByteBuf all;
            if (pending instanceof CompositeByteBuf c) {
                all = c;
            } else {
                all = ctx.alloc().compositeBuffer(64);
                all.addComponent(true, pending);
                pending = all;
            }
            all.addComponent(true, buf);
        }
    }

    /** The client's address for logs; built only when something is logged. */
    private static String peer(Channel ch) {
        return ch.remoteAddress() instanceof InetSocketAddress remote
                ? remote.getAddress().getHostAddress() + ":" + remote.getPort() : "?";
    }

    /** A relayed connection as logs name it, e.g. {@code [outbound|9080||reviews... 10.1.0.7:41000 -> 10.2.0.5:9080]}; built only when logged. */
    private record Label(String clusterName, Channel downstream, InetSocketAddress endpoint) {
        @Override
        public String toString() {
            return "[" + clusterName + " " + peer(downstream) + " -> " + endpoint.getHostString() + ":" + endpoint.getPort() + "]";
        }
    }

    private void closed() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
        if (admitted) {
            context.admission().release();
        }
        context.metrics().connectionClosed();
    }
}
