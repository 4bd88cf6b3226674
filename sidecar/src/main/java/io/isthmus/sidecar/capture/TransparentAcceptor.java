package io.isthmus.sidecar.capture;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.vertx.core.spi.transport.Transport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A capture socket that accepts the connections iptables sent to the proxy and hands each, over
 * loopback, to the listener its router picks for the connection's original destination, which is
 * told the real client and destination first ({@link HandoffTarget#register}). The original
 * destination is the accepted socket's local address when TPROXY captured the connection (the
 * socket is {@code IP_TRANSPARENT}: needs CAP_NET_ADMIN or CAP_NET_RAW), or what
 * {@code SO_ORIGINAL_DST} says when iptables REDIRECT rewrote it to the capture port (an ordinary
 * socket). Bytes are relayed both ways with backpressure (the next read waits for the previous
 * write). Runs on the Vert.x event loops; needs the native epoll transport.
 *
 * <p>A connection to the capture port itself that was not redirected (a direct connection) has no
 * original destination: it is refused and counted, with an error saying so logged once.
 */
public final class TransparentAcceptor {

    private static final Logger LOG = LoggerFactory.getLogger(TransparentAcceptor.class);
    /** Netty's name of the native transports' {@code IP_TRANSPARENT} channel option. */
    private static final String IP_TRANSPARENT = "IP_TRANSPARENT";

    private final String listener;
    private final CaptureMode mode;
    private final Channel server;
    private final AtomicLong noOriginalDst = new AtomicLong();

    private TransparentAcceptor(String listener, CaptureMode mode, Channel server) {
        this.listener = listener;
        this.mode = mode;
        this.server = server;
    }

    /**
     * Binds a capture socket.
     *
     * @param vertx whose event loops run it (must use the native transport)
     * @param listener the listener's name, for logs
     * @param at where to bind, e.g. {@code 0.0.0.0:15001}
     * @param mode TPROXY binds an {@code IP_TRANSPARENT} socket, REDIRECT an ordinary one (both read
     *     {@code SO_ORIGINAL_DST} for a connection whose local port is the socket's own)
     * @param router the hand-off target of an original destination; {@code null} refuses the connection
     * @param refused called with a reason for each refused connection (for counting)
     */
    public static Future<TransparentAcceptor> bind(Vertx vertx, String listener, InetSocketAddress at, CaptureMode mode,
                                                   Function<InetSocketAddress, HandoffTarget> router,
                                                   Consumer<String> refused) {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(router, "router");
        try {
            Class.forName("io.netty.channel.epoll.EpollChannelOption"); // defines the option's name
        } catch (ClassNotFoundException | LinkageError absent) {
            // reported below
        }
        if (!vertx.isNativeTransportEnabled() || !(vertx instanceof VertxInternal vi) || !ChannelOption.exists(IP_TRANSPARENT)) {
            return Future.failedFuture(new IllegalStateException("capture listeners need the native epoll transport, "
                    + "which is not available here: " + vertx.unavailableNativeTransportCause() + " [" + listener + "]"));
        }
        ChannelOption<Boolean> transparent = ChannelOption.valueOf(IP_TRANSPARENT);
        Transport transport = vi.transport();
        EventLoopGroup group = vi.nettyEventLoopGroup();
        Promise<TransparentAcceptor> done = Promise.promise();
        TransparentAcceptor[] self = new TransparentAcceptor[1];
        ServerBootstrap b = new ServerBootstrap()
                .group(group, group)
                .channelFactory(transport.serverChannelFactory(false))
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new Front(self[0], transport, router, refused, at.getPort()));
                    }
                });
        if (mode == CaptureMode.TPROXY) {
            b.option(transparent, true);
        }
        b.bind(at).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                String why = f.cause().getMessage();
                if (why != null && why.contains("Operation not permitted")) {
                    why = "IP_TRANSPARENT needs CAP_NET_ADMIN or CAP_NET_RAW (" + why + ")";
                }
                done.fail(new IllegalStateException("cannot bind capture socket " + at + ": " + why + " [" + listener + "]"));
                return;
            }
            if (mode == CaptureMode.TPROXY && !Boolean.TRUE.equals(((ServerChannel) f.channel()).config().getOption(transparent))) {
                f.channel().close();
                done.fail(new IllegalStateException("IP_TRANSPARENT could not be set on " + at
                        + " (needs CAP_NET_ADMIN or CAP_NET_RAW) [" + listener + "]"));
                return;
            }
            self[0] = new TransparentAcceptor(listener, mode, f.channel());
            LOG.info("capture socket bound [{} {}] mode={}", listener, at, mode);
            done.complete(self[0]);
        });
        return done.future();
    }

    /** Where the socket is bound. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Closes the listening socket; connections already handed off continue. */
    public Future<Void> close() {
        Promise<Void> p = Promise.promise();
        server.close().addListener(f -> p.complete());
        return p.future();
    }

    /** The accepted side of a captured connection. */
    private static final class Front extends ChannelInboundHandlerAdapter {
        private final TransparentAcceptor acceptor;
        private final Transport transport;
        private final Function<InetSocketAddress, HandoffTarget> router;
        private final Consumer<String> refused;
        private final int ownPort;
        private Channel back;

        Front(TransparentAcceptor acceptor, Transport transport, Function<InetSocketAddress, HandoffTarget> router,
              Consumer<String> refused, int ownPort) {
            this.acceptor = acceptor;
            this.transport = transport;
            this.router = router;
            this.refused = refused;
            this.ownPort = ownPort;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel front = ctx.channel();
            InetSocketAddress client = (InetSocketAddress) front.remoteAddress();
            InetSocketAddress local = (InetSocketAddress) front.localAddress();
            // TPROXY: the local address is the original destination; REDIRECT: the capture port
            InetSocketAddress originalDst = local.getPort() == ownPort ? OriginalDst.of(front, local) : local;
            if (originalDst == null) {
                if (acceptor != null && acceptor.noOriginalDst.getAndIncrement() == 0) {
                    LOG.error("connection to the capture port that iptables did not redirect, original destination unknown "
                            + "[{} mode={} from {} to {}]: only connections captured by isthmus iptables (REDIRECT or TPROXY) "
                            + "are served here; refusing such connections", acceptor.listener, acceptor.mode, client, local);
                }
                refused.accept("no_original_dst");
                front.close();
                return;
            }
            HandoffTarget target = router.apply(originalDst);
            if (target == null) {
                refused.accept("no_filter_chain_match");
                front.close();
                return;
            }
            Bootstrap b = new Bootstrap().group(front.eventLoop()).channelFactory(transport.channelFactory(false))
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new Back(front));
            ChannelFuture reg = b.register();
            back = reg.channel();
            reg.addListener((ChannelFutureListener) r -> {
                if (!r.isSuccess()) {
                    front.close();
                    return;
                }
                back.bind(new InetSocketAddress(target.address().getAddress(), 0)).addListener((ChannelFutureListener) bf -> {
                    if (!bf.isSuccess()) {
                        front.close();
                        back.close();
                        return;
                    }
                    int clientPort = ((InetSocketAddress) back.localAddress()).getPort();
                    target.register(clientPort, client, originalDst);
                    back.closeFuture().addListener(x -> target.unregister(clientPort, client, originalDst));
                    back.connect(target.address()).addListener((ChannelFutureListener) cf -> {
                        if (!cf.isSuccess()) {
                            LOG.debug("hand-off failed [{} -> {}]: {}", originalDst, target.address(), cf.cause().toString());
                            front.close();
                            back.close();
                            return;
                        }
                        front.read();
                        back.read();
                    });
                });
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            relay(msg, ctx.channel(), back);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeOnFlush(back);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("captured connection failed [{}]: {}", ctx.channel().remoteAddress(), cause.toString());
            closeOnFlush(ctx.channel());
        }
    }

    /** The hand-off side of a captured connection. */
    private static final class Back extends ChannelInboundHandlerAdapter {
        private final Channel front;

        Back(Channel front) {
            this.front = front;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            relay(msg, ctx.channel(), front);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeOnFlush(front);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            closeOnFlush(ctx.channel());
        }
    }

    /** Writes what {@code from} read to {@code to}; {@code from} reads again once the write is done. */
    private static void relay(Object msg, Channel from, Channel to) {
        if (to == null || !to.isActive()) {
            io.netty.util.ReferenceCountUtil.release(msg);
            from.close();
            return;
        }
        to.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                from.read();
            } else {
                f.channel().close();
                from.close();
            }
        });
    }

    private static void closeOnFlush(Channel ch) {
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
