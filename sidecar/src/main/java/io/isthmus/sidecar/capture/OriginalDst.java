package io.isthmus.sidecar.capture;

import io.netty.channel.Channel;
import io.netty.channel.unix.RawUnixChannelOption;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The original destination of a connection iptables {@code REDIRECT} rewrote, read from the
 * kernel's connection tracking with {@code getsockopt(SOL_IP, SO_ORIGINAL_DST)} (a
 * {@code struct sockaddr_in}) or, for IPv6, {@code getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST)} (a
 * {@code struct sockaddr_in6}), through Netty's native epoll channel options.
 */
final class OriginalDst {

    /** {@code SOL_IP}, {@code SO_ORIGINAL_DST}, {@code sizeof(struct sockaddr_in)}. */
    private static final RawUnixChannelOption SO_ORIGINAL_DST = new RawUnixChannelOption("SO_ORIGINAL_DST", 0, 80, 16);
    /** {@code SOL_IPV6}, {@code IP6T_SO_ORIGINAL_DST}, {@code sizeof(struct sockaddr_in6)}. */
    private static final RawUnixChannelOption IP6T_SO_ORIGINAL_DST = new RawUnixChannelOption("IP6T_SO_ORIGINAL_DST", 41, 80, 28);
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    private OriginalDst() {
    }

    /**
     * The original destination of an accepted connection whose local address is {@code local};
     * {@code null} when the kernel knows none (no tracked connection) or it is {@code local} itself
     * (the connection was not redirected).
     */
    static InetSocketAddress of(Channel accepted, InetSocketAddress local) {
        RawUnixChannelOption option = local.getAddress() instanceof Inet4Address ? SO_ORIGINAL_DST : IP6T_SO_ORIGINAL_DST;
        ByteBuffer raw;
        try {
            raw = accepted.config().getOption(option);
        } catch (RuntimeException e) {
            return null; // ENOENT: not a tracked (redirected) connection
        }
        InetSocketAddress dst = parse(raw);
        return dst == null || dst.equals(local) ? null : dst;
    }

    /** Parses a {@code sockaddr_in} or {@code sockaddr_in6}; {@code null} when it is neither. */
    static InetSocketAddress parse(ByteBuffer raw) {
        if (raw == null || raw.remaining() < 8) {
            return null;
        }
        ByteBuffer b = raw.duplicate();
        int family = b.order(ByteOrder.nativeOrder()).getShort(b.position()) & 0xffff;
        b.order(ByteOrder.BIG_ENDIAN);
        int port = b.getShort(b.position() + 2) & 0xffff;
        byte[] address;
        if (family == AF_INET) {
            address = new byte[4];
            b.position(b.position() + 4);
        } else if (family == AF_INET6 && raw.remaining() >= 24) {
            address = new byte[16];
            b.position(b.position() + 8);
        } else {
            return null;
        }
        b.get(address);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(address), port);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
