package io.isthmus.gateway.listener;

import io.isthmus.gateway.GatewayException;
import io.isthmus.gateway.lb.EndpointSelector;
import io.isthmus.gateway.relay.Transport;
import io.isthmus.gateway.route.SniRouter;
import io.isthmus.gateway.telemetry.GatewayMetrics;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.DefaultThreadFactory;
import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The passthrough listener (15443): accepts TCP connections, reads each one's ClientHello without
 * terminating TLS, and passes the untouched byte stream to a local endpoint of the service its
 * server name names. Runs on its own Netty event loops (epoll when available), one per core unless
 * told otherwise; with epoll each loop accepts on its own socket (SO_REUSEPORT) and keeps its
 * connections.
 */
public final class PassthroughServer implements AutoCloseable {

    /** In {@link RelayMode#AUTO}, a direction is spliced once it has carried this many bytes. */
    public static final long AUTO_SPLICE_AFTER_BYTES = 1 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(PassthroughServer.class);
    private static final long DRAIN_POLL_MILLIS = 20;
    /** {@code TCP_DEFER_ACCEPT}: how long the kernel holds a connection that has sent nothing yet. */
    private static final int DEFER_ACCEPT_SECONDS = 1;

    /**
     * Receive buffers of both sockets of a connection: the first read takes up to 16 KiB (one TLS record)
     * instead of Netty's 2 KiB, so a ClientHello or a server's first flight of a few KiB arrives in one
     * read, not two (and the hello in one buffer, not a composite); later reads adapt as usual.
     */
    static final RecvByteBufAllocator RECEIVE_BUFFERS = new AdaptiveRecvByteBufAllocator(64, 16 * 1024, 64 * 1024);

    private final EventLoopGroup group;
    private final List<Channel> servers;
    private final PassthroughContext context;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private PassthroughServer(EventLoopGroup group, List<Channel> servers, PassthroughContext context) {
        this.group = group;
        this.servers = List.copyOf(servers);
        this.context = context;
    }

    /**
     * Binds and starts serving.
     *
     * @throws GatewayException when the address cannot be bound or splice is asked for without epoll
     */
    public static PassthroughServer start(PassthroughOptions options, SniRouter router, EndpointSelector selector,
            GatewayMetrics metrics) throws GatewayException {
        return start(options, router, selector, metrics, Transport.detect(), CompletableFuture.completedFuture(null));
    }

    /**
     * As {@link #start(PassthroughOptions, SniRouter, EndpointSelector, GatewayMetrics)} on a given
     * transport, holding connections whose ClientHello arrives before {@code routesReady} completes
     * (for at most the hello timeout) instead of routing them on an empty table.
     */
    public static PassthroughServer start(PassthroughOptions options, SniRouter router, EndpointSelector selector,
            GatewayMetrics metrics, Transport transport, CompletableFuture<Void> routesReady) throws GatewayException {
        Objects.requireNonNull(options, "options");
        long spliceAfter = switch (options.relayMode()) {
            case AUTO -> transport.canSplice() ? AUTO_SPLICE_AFTER_BYTES : -1;
            case COPY -> -1;
            case SPLICE -> {
                if (!transport.canSplice()) {
                    throw new GatewayException("relay mode SPLICE needs the epoll transport, running on " + transport.name());
                }
                yield 0;
            }
        };
        boolean splice = spliceAfter >= 0;
        warnIfFileLimitLow(options, splice);
        Admission admission = new Admission(options.maxConnections(), options.connectionsPerSecondPerSource(),
                options.burstPerSource(), System::nanoTime);
        PassthroughContext context = new PassthroughContext(options, router, selector, metrics, admission, transport, spliceAfter,
                Objects.requireNonNull(routesReady, "routesReady"), waterMark(options));
        int loops = options.ioThreads() > 0 ? options.ioThreads() : Runtime.getRuntime().availableProcessors();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, new DefaultThreadFactory("gateway-io", true),
                transport.ioHandlerFactory());
        // With epoll, every event loop gets its own listening socket on the same port (SO_REUSEPORT):
        // the kernel spreads new connections over them, and each connection, its upstream and its relay
        // stay on the loop that accepted it, with no hand-over between threads. Otherwise one socket
        // accepts for all loops.
        boolean perLoop = transport.canSplice() && loops > 1;
        List<Channel> servers = new ArrayList<>();
        try {
            if (perLoop) {
                int port = options.port();
                for (EventExecutor e : group) {
                    EventLoop loop = (EventLoop) e;
                    Channel ch = listen(loop, loop, transport, options.bindAddress(), port, true, context, servers);
                    port = ((InetSocketAddress) ch.localAddress()).getPort();
                }
            } else {
                listen(group.next(), group, transport, options.bindAddress(), options.port(), false, context, servers);
            }
            PassthroughServer s = new PassthroughServer(group, servers, context);
            LOG.info("passthrough listening [{}] transport={} relay={} loops={}{}", s.localAddress(), transport.name(),
                    spliceAfter < 0 ? "copy" : spliceAfter == 0 ? "splice" : "copy, splice after " + (spliceAfter >> 10) + " KiB",
                    loops, perLoop ? " (one listening socket each, SO_REUSEPORT)" : "");
            return s;
        } catch (Exception e) {
            for (Channel ch : servers) {
                ch.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new GatewayException("cannot listen on " + options.bindAddress() + ":" + options.port() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens one listening socket on {@code loop}, its connections registered with {@code childGroup}. Done by
     * hand rather than by a {@code ServerBootstrap}, whose acceptor adds an initializer to every connection,
     * applies its options from a map and registers it with no read interest yet (see {@link Acceptor}).
     */
    private static Channel listen(EventLoop loop, EventLoopGroup childGroup, Transport transport, String host, int port,
            boolean reusePort, PassthroughContext context, List<Channel> servers) throws Exception {
        ServerChannel ch = transport.serverChannel().getConstructor().newInstance();
        ch.config().setOption(ChannelOption.SO_BACKLOG, 4096);
        ch.config().setOption(ChannelOption.SO_REUSEADDR, true);
        if (reusePort) {
            ch.config().setOption(EpollChannelOption.SO_REUSEPORT, true);
        }
        if (transport.canSplice()) {
            // A TLS client speaks first: the kernel hands a connection over only once its first bytes (the
            // ClientHello) are in, so one wake-up accepts and reads it instead of one for each.
            ch.config().setOption(EpollChannelOption.TCP_DEFER_ACCEPT, DEFER_ACCEPT_SECONDS);
        }
        ch.pipeline().addLast("acceptor", new Acceptor(childGroup, context));
        servers.add(ch);
        loop.register(ch).sync();
        ch.bind(new InetSocketAddress(host, port)).sync();
        return ch;
    }

    /** Each connection holds two sockets, and two pipes more when splicing: say so when the process cannot open that many. */
    private static void warnIfFileLimitLow(PassthroughOptions options, boolean splice) {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os) {
            long needed = (long) options.maxConnections() * (splice ? 6 : 2) + 1024;
            if (os.getMaxFileDescriptorCount() < needed) {
                LOG.warn("open-file limit {} is below the {} that {} connections need{}; raise it (ulimit -n) or lower max connections",
                        os.getMaxFileDescriptorCount(), needed, options.maxConnections(), splice ? " with splice" : "");
            }
        }
    }

    static WriteBufferWaterMark waterMark(PassthroughOptions o) {
        return new WriteBufferWaterMark(o.writeBufferHighWater() / 2, o.writeBufferHighWater());
    }

    /** The bound address (the real port when 0 was asked for). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) servers.get(0).localAddress();
    }

    /** True when the relay may use {@code splice(2)}. */
    public boolean splicing() {
        return context.spliceAfterBytes() >= 0;
    }

    /** The transport in use, {@code epoll} or {@code nio}. */
    public String transportName() {
        return context.transport().name();
    }

    /** The connections open now (admitted, ClientHello pending, connecting or relaying). */
    public int openConnections() {
        return context.admission().open();
    }

    /** Stops accepting and closes every connection at once. */
    @Override
    public void close() {
        close(Duration.ZERO);
    }

    /**
     * Stops accepting at once, lets the open connections end by themselves for up to {@code drainTime} (a relayed
     * stream goes on untouched: the gateway cannot ask a TLS client it does not terminate to close), then closes
     * whatever is still open. Returns when the last connection is gone or the drain time is over.
     */
    public void close(Duration drainTime) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        InetSocketAddress address = localAddress();
        for (Channel ch : servers) {
            ch.close().syncUninterruptibly();
        }
        int open = openConnections();
        if (open > 0 && !drainTime.isZero() && !drainTime.isNegative()) {
            LOG.info("passthrough draining [{}]: {} open connections may finish within {} ms", address, open, drainTime.toMillis());
            long deadline = System.nanoTime() + drainTime.toNanos();
            try {
                while (openConnections() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(DRAIN_POLL_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int cut = openConnections();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        LOG.info("passthrough closed [{}]{}", address, cut > 0 ? ", " + cut + " open connections closed" : "");
    }
}
