package io.isthmus.gateway.relay;

import io.isthmus.gateway.telemetry.GatewayMetrics.ServiceMeters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.ScheduledFuture;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One passed connection in its relay stage: the downstream (client) and upstream (endpoint)
 * channels, both on the same event loop, moving bytes both ways untouched until either side closes
 * or the connection idles out.
 *
 * <p>Every direction starts by copying: each read is written to the other side, and reading pauses
 * while the other side's write buffer is above its high-water mark. Once a direction has carried
 * {@code spliceAfterBytes} (0 = from the start) and both sockets are epoll sockets, the kernel moves
 * its bytes through a pipe ({@code splice(2)}) in chunks of {@link #SPLICE_CHUNK}, so long streams
 * never enter the JVM while short exchanges (handshakes, RPCs) avoid the pipes' set-up cost; the endpoint-side socket
 * of a spliced direction gets bounded kernel buffers ({@code spliceEndpointBuffer}). Bytes
 * read between chunks still go through the copy path, in order, because both paths queue on the
 * same outbound buffer. Byte counters see copied bytes exactly and spliced bytes per completed chunk.
 *
 * <p>Confined to the connection's event loop.
 */
public final class Relay {

    /** Bytes per splice request; each completed chunk is counted and re-armed. */
    public static final int SPLICE_CHUNK = 64 * 1024;

    /** The longest a closing connection waits for its queued bytes to be written. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);

    private final Channel downstream;
    private final Channel upstream;
    private final ServiceMeters meters;
    private final Object label;
    private final long spliceAfterBytes;
    private final long idleNanos;
    /** SO_SNDBUF / SO_RCVBUF of the upstream socket once a direction splices; 0 = the kernel's autotuning. */
    private final int spliceEndpointBuffer;
    private final Side downstreamSide;
    private boolean downstreamSpliced;
    private boolean upstreamSpliced;
    private boolean downstreamInputDone;
    private boolean upstreamInputDone;
    private boolean closed;
    private long received;
    private long sent;
    /** {@link System#nanoTime()} of the last read on either side. */
    private long lastActivity;
    private ScheduledFuture<?> idleTimer;

    private Relay(Channel downstream, Channel upstream, ServiceMeters meters, Object label, long spliceAfterBytes, long idleNanos,
                  int spliceEndpointBuffer) {
        this.downstream = downstream;
        this.upstream = upstream;
        this.meters = meters;
        this.label = label;
        this.spliceAfterBytes = spliceAfterBytes;
        this.idleNanos = idleNanos;
        this.spliceEndpointBuffer = spliceEndpointBuffer;
        this.downstreamSide = new Side(upstream, true);
    }

    /**
     * Starts relaying. Writes {@code replay} (the bytes read so far, the ClientHello) to the upstream
     * first, then moves bytes both ways. Both channels must be active and on one event loop; the
     * upstream with auto-read off, which this call turns on (as it does for the downstream if it was
     * paused). Downstream bytes read meanwhile queue behind the replay.
     *
     * <p>The upstream gets its handler here; the downstream's pipeline is left as it is: its handler
     * passes every inbound event to {@link #downstreamHandler()} from now on, so a connection changes
     * no pipeline when it starts relaying.
     *
     * @param spliceAfterBytes splice a direction once it carried this many bytes, 0 = from the start,
     *     negative = never; both channels must be epoll sockets unless negative
     * @param idleTimeout close after this long without bytes either way
     * @param spliceEndpointBuffer once a direction splices, the upstream socket's send buffer (towards the endpoint)
     *     or receive buffer (from it) is set to this many bytes, so that spliced pages queue briefly and are copied out
     *     while still in cache; 0 leaves the kernel's autotuning. The client's socket, across networks, keeps it always
     * @param label names the connection in logs, e.g. {@code [outbound|9080||reviews... 10.2.0.5:9080]}; its
     *     {@code toString()} is called only when something is logged
     */
    public static Relay start(Channel downstream, Channel upstream, ByteBuf replay, ServiceMeters meters,
            long spliceAfterBytes, Duration idleTimeout, int spliceEndpointBuffer, Object label) {
        Relay relay = new Relay(downstream, upstream, meters, label, spliceAfterBytes, idleTimeout.toNanos(),
                spliceEndpointBuffer);
        relay.received += replay.readableBytes();
        meters.received().increment(replay.readableBytes());
        relay.lastActivity = System.nanoTime();
        relay.idleTimer = downstream.eventLoop().schedule(relay::idleCheck, relay.idleNanos, TimeUnit.NANOSECONDS);
        upstream.pipeline().addLast("relay", relay.new Side(downstream, false));
        if (spliceAfterBytes != 0) {
            // Copy first: bytes read from either side queue behind the replay on the same outbound buffer, so
            // reading may start at once, and a failed write reaches the upstream handler, which closes.
            upstream.writeAndFlush(replay, upstream.voidPromise());
            relay.startReading();
            return relay;
        }
        // Splicing writes to the upstream's descriptor directly, past its outbound buffer: only once the replay is out.
        upstream.writeAndFlush(replay).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                relay.close();
                return;
            }
            if (relay.downstreamOpen()) {
                relay.startSplice(true);
            }
            relay.startSplice(false);
            relay.startReading();
        });
        return relay;
    }

    /** The downstream's inbound events go here once the relay started (the handler that started it passes them on). */
    public Side downstreamHandler() {
        return downstreamSide;
    }

    /** A client that half-closed while the gateway was connecting has nothing more to read. */
    private boolean downstreamOpen() {
        return !(downstream instanceof DuplexChannel d && d.isInputShutdown()) && !downstreamInputDone;
    }

    private void startReading() {
        if (closed) {
            return;
        }
        if (downstreamOpen()) {
            downstream.config().setAutoRead(true);
        }
        upstream.config().setAutoRead(true);
    }

    /**
     * Closes the relay once neither side has read for the idle timeout; once spliced, the kernel's
     * {@code TCP_INFO} says when data last moved, as the pipeline sees no bytes then. One timer per
     * connection, moved on only when it fires (reads just note the time).
     */
    private void idleCheck() {
        if (closed) {
            return;
        }
        long idleFor = System.nanoTime() - lastActivity;
        if (idleFor < idleNanos) {
            idleTimer = downstream.eventLoop().schedule(this::idleCheck, idleNanos - idleFor, TimeUnit.NANOSECONDS);
        } else if (spliceActive()) {
            idleTimer = downstream.eventLoop().schedule(this::idleCheck, idleNanos, TimeUnit.NANOSECONDS);
        } else {
            LOG.debug("relay idle {} for {} ms", label, TimeUnit.NANOSECONDS.toMillis(idleNanos));
            close();
        }
    }

    private boolean spliceActive() {
        if (!spliced() || !(downstream instanceof EpollSocketChannel epoll) || !epoll.isActive()) {
            return false;
        }
        var info = epoll.tcpInfo();
        return Math.min(info.lastDataRecv(), info.lastDataSent()) < TimeUnit.NANOSECONDS.toMillis(idleNanos);
    }

    /** Hands one direction over to {@code splice(2)}. */
    private void startSplice(boolean fromDownstream) {
        LOG.debug("splicing {} {} after {} bytes", fromDownstream ? "client->endpoint" : "endpoint->client", label,
                fromDownstream ? received : sent);
        if (spliceEndpointBuffer > 0) {
            // the endpoint side only: a bounded queue there keeps spliced pages warm, while the client side, which
            // may cross a long round trip, keeps the windows the kernel's autotuning gives it
            upstream.config().setOption(fromDownstream ? ChannelOption.SO_SNDBUF : ChannelOption.SO_RCVBUF, spliceEndpointBuffer);
        }
        if (fromDownstream) {
            downstreamSpliced = true;
            spliceChunk((AbstractEpollStreamChannel) downstream, (AbstractEpollStreamChannel) upstream, true);
        } else {
            upstreamSpliced = true;
            spliceChunk((AbstractEpollStreamChannel) upstream, (AbstractEpollStreamChannel) downstream, false);
        }
    }

    private boolean spliced() {
        return downstreamSpliced || upstreamSpliced;
    }

    private void spliceChunk(AbstractEpollStreamChannel from, AbstractEpollStreamChannel to, boolean fromDownstream) {
        if (closed || !from.isActive() || !to.isActive()) {
            return;
        }
        from.spliceTo(to, SPLICE_CHUNK).addListener(f -> {
            if (f.isSuccess()) {
                count(fromDownstream, SPLICE_CHUNK);
                spliceChunk(from, to, fromDownstream);
            } else if (!closed) {
                LOG.debug("splice ended {}: {}", label, f.cause().toString());
                close();
            }
        });
    }

    private void count(boolean fromDownstream, int bytes) {
        if (fromDownstream) {
            received += bytes;
            meters.received().increment(bytes);
        } else {
            sent += bytes;
            meters.sent().increment(bytes);
        }
    }

    private void inputDone(boolean fromDownstream) {
        if (fromDownstream) {
            downstreamInputDone = true;
        } else {
            upstreamInputDone = true;
        }
        if (downstreamInputDone && upstreamInputDone) {
            close();
        }
    }

    /** Closes both sides after flushing what is queued; idempotent. */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        meters.closed().increment();
        LOG.debug("relay closed {} received={} sent={}{}", label, received, sent, spliced() ? " (spliced bytes per chunk)" : "");
        flushAndClose(upstream);
        flushAndClose(downstream);
    }

    /**
     * Closes once what is queued is written, or after {@link #CLOSE_GRACE} at the latest so a peer
     * that stops reading cannot hold the connection open. The usual case, nothing left queued,
     * closes at once with no timer and no promise.
     */
    private static void flushAndClose(Channel ch) {
        if (!ch.isActive() || nothingQueued(ch)) {
            closeNow(ch);
            return;
        }
        ChannelFuture flushed = ch.writeAndFlush(Unpooled.EMPTY_BUFFER);
        if (flushed.isDone()) {
            closeNow(ch);
            return;
        }
        ScheduledFuture<?> grace = ch.eventLoop().schedule(() -> {
            ch.close();
        }, CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        flushed.addListener(f -> {
            grace.cancel(false);
            closeNow(ch);
        });
    }

    /** True when {@code ch} has no bytes waiting to be written (none written but not flushed either). */
    private static boolean nothingQueued(Channel ch) {
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out == null || out.isEmpty() && out.totalPendingWriteBytes() == 0;
    }

    /**
     * Closes {@code ch}, nothing being queued. An epoll socket's descriptor is closed first, which takes it
     * out of the epoll set with it: Netty's own close would ask for {@code SO_LINGER} and remove the
     * descriptor from epoll first, a removal that fails (and builds an exception with a stack trace) when
     * the socket had been dropped from the set already after its end of stream. A socket with
     * {@code SO_LINGER} set is left to Netty; the gateway never sets it.
     */
    static void closeNow(Channel ch) {
        if (!ch.isOpen() && ch.closeFuture().isDone()) {
            return;
        }
        if (ch instanceof AbstractEpollStreamChannel epoll && epoll.isRegistered() && epoll.eventLoop().inEventLoop()
                && epoll.fd().isOpen()) {
            try {
                epoll.fd().close();
            } catch (IOException e) {
                LOG.trace("close failed: {}", e.toString());
            }
        }
        ch.close();
    }

    /**
     * Sends a FIN on {@code ch}. An epoll socket is shut down on its descriptor: Netty's
     * {@code shutdownOutput()} builds an exception with a stack trace on every call (to fail writes
     * still queued; here nothing is, the caller waited for the flush). Nothing is written to the channel
     * afterwards; a failure means the peer is gone, which its own close event reports.
     */
    private static void shutdownOutput(Channel ch) {
        if (!ch.isActive()) {
            return;
        }
        if (ch instanceof AbstractEpollStreamChannel epoll && epoll.fd() instanceof Socket socket) {
            try {
                socket.shutdown(false, true);
            } catch (IOException | RuntimeException e) {
                LOG.trace("shutdown of the output failed: {}", e.toString());
            }
        } else if (ch instanceof DuplexChannel d) {
            d.shutdownOutput();
        }
    }

    /**
     * One side's inbound events: forwards what it reads to the other side. The upstream's pipeline
     * holds it; the downstream's handler calls it.
     */
    public final class Side extends ChannelInboundHandlerAdapter {
        private final Channel peer;
        private final boolean downstreamSide;
        private final Counter counter;

        Side(Channel peer, boolean downstreamSide) {
            this.peer = peer;
            this.downstreamSide = downstreamSide;
            this.counter = downstreamSide ? meters.received() : meters.sent();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                int n = buf.readableBytes();
                long total;
                if (downstreamSide) {
                    total = received += n;
                } else {
                    total = sent += n;
                }
                lastActivity = System.nanoTime();
                counter.increment(n);
                peer.write(buf, peer.voidPromise());
                if (!peer.isWritable()) {
                    ctx.channel().config().setAutoRead(false);
                }
                if (spliceAfterBytes > 0 && total >= spliceAfterBytes && !closed
                        && !(downstreamSide ? downstreamSpliced : upstreamSpliced)) {
                    startSplice(downstreamSide);
                }
            } else {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.flush();
            if (!closed && (downstreamSide ? upstreamInputDone : downstreamInputDone)
                    && ctx.channel().unsafe().recvBufAllocHandle().lastBytesRead() < 0) {
                // This read ended at the end of stream and the other side's came first: the connection is over.
                // Closing here, before Netty handles the end of stream itself, spares its own close of this socket
                // (an SO_LINGER query and an epoll removal) or, for the client, its shutdown of the input.
                ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
                inputDone(downstreamSide);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                // The other side's bytes are draining: the connection is not idle.
                lastActivity = System.nanoTime();
                if (!(downstreamSide ? upstreamInputDone : downstreamInputDone)) {
                    peer.config().setAutoRead(true);
                }
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                // Nothing more to read here: stop asking epoll, which would otherwise keep reporting the
                // end of stream (level-triggered) until Netty drops the socket from its set itself.
                ctx.channel().config().setAutoRead(false);
                inputDone(downstreamSide);
                if (!closed) {
                    // Half-close: pass the FIN on once everything before it is written. The peer's own end of
                    // stream then ends the connection: Netty closes that channel at once instead of shutting its
                    // input down (a system call that fails on a socket the other end has closed already).
                    peer.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
                    if (nothingQueued(peer)) {
                        shutdownOutput(peer);
                    } else {
                        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> shutdownOutput(peer));
                    }
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("relay error {} on {} side: {}", label, downstreamSide ? "client" : "endpoint", cause.toString());
            close();
        }
    }
}
