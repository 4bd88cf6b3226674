package io.isthmus.gateway.listener;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.socket.SocketChannelConfig;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening socket's handler: sets up each accepted connection and registers it with an event
 * loop, in place of Netty's {@code ServerBootstrap} acceptor. Each connection gets its
 * {@link PassthroughHandler} directly (no initializer added and removed again) and, on epoll, its
 * read interest before registration, so that the socket enters the epoll set once with the events it
 * waits for instead of being added and then modified.
 */
final class Acceptor extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(Acceptor.class);

    private final EventLoopGroup childGroup;
    private final PassthroughContext context;

    Acceptor(EventLoopGroup childGroup, PassthroughContext context) {
        this.childGroup = childGroup;
        this.context = context;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        try {
            if (child.config() instanceof SocketChannelConfig config) {
                config.setAllowHalfClosure(true);
            }
            child.config().setWriteBufferWaterMark(context.writeBufferWaterMark());
            child.config().setRecvByteBufAllocator(PassthroughServer.RECEIVE_BUFFERS);
            child.pipeline().addLast("passthrough", new PassthroughHandler(context));
            if (child instanceof AbstractEpollStreamChannel) {
                // Not registered yet: this only adds EPOLLIN to the events the registration will ask for.
                child.unsafe().beginRead();
            }
            ChannelFuture registered = childGroup.register(child);
            if (registered.isDone()) {
                if (!registered.isSuccess()) {
                    forceClose(child, registered.cause());
                }
            } else {
                registered.addListener(f -> {
                    if (!f.isSuccess()) {
                        forceClose(child, f.cause());
                    }
                });
            }
        } catch (RuntimeException e) {
            forceClose(child, e);
        }
    }

    private static void forceClose(Channel child, Throwable cause) {
        child.unsafe().closeForcibly();
        LOG.warn("cannot register an accepted connection [{}]: {}", child, cause.toString());
    }

    /** An accept error (such as too many open files): stop accepting for a second so the process can recover. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Channel server = ctx.channel();
        LOG.warn("accept failed [{}]: {}; pausing accepts for 1 s", server.localAddress(), cause.toString());
        if (server.config().isAutoRead()) {
            server.config().setAutoRead(false);
            server.eventLoop().schedule(() -> {
                server.config().setAutoRead(true);
            }, 1, TimeUnit.SECONDS);
        }
    }
}
