package io.isthmus.gateway.relay;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.channels.spi.SelectorProvider;

/**
 * The socket implementation the gateway runs on: Netty's native epoll when it loads (Linux), else
 * Java NIO.
 *
 * @param name {@code epoll} or {@code nio}
 * @param ioHandlerFactory the event loops' I/O handler
 * @param serverChannel the listening socket class
 * @param socketChannel the connection socket class
 */
public record Transport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel) {

    /** Epoll when available, else NIO. */
    public static Transport detect() {
        if (Epoll.isAvailable()) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class);
        }
        return nio();
    }

    /** Java NIO. */
    public static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /**
     * A new, unregistered connection socket for an endpoint at {@code address}, of that address's family
     * (an IPv4 endpoint gets an {@code AF_INET} socket, not a dual-stack IPv6 one).
     */
    public SocketChannel newSocketChannel(InetAddress address) {
        SocketProtocolFamily family = address instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        if (EpollSocketChannel.class.isAssignableFrom(socketChannel)) {
            return new EpollSocketChannel(family);
        }
        return new NioSocketChannel(SelectorProvider.provider(), family);
    }

    /** True when connections are epoll sockets, so {@code splice(2)} can move their bytes. */
    public boolean canSplice() {
        return EpollSocketChannel.class.isAssignableFrom(socketChannel);
    }
}
