package io.isthmus.sidecar.dns;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A small authoritative DNS server on {@code 127.0.0.1:<random port>} for tests, standing in for a
 * cluster's DNS: A queries for the names it knows are answered with their IPv4 addresses and a TTL,
 * AAAA for them with an empty NOERROR, anything else with NXDOMAIN; or, when {@link #silent}, nothing
 * at all. Records every question it gets.
 */
final class TinyDnsServer implements AutoCloseable {
    /** A question it got: name without the trailing dot, lower case, and type. */
    record Question(String name, DnsRecordType type) {
    }

    final Map<String, List<InetAddress>> names = new ConcurrentHashMap<>();
    final List<Question> questions = new CopyOnWriteArrayList<>();
    volatile long ttlSeconds = 30;
    volatile boolean silent;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;

    TinyDnsServer() throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(), new Handler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** Answers {@code name} (any case, with or without trailing dot) with these IPv4 addresses. */
    TinyDnsServer answer(String name, String... addresses) throws Exception {
        InetAddress[] a = new InetAddress[addresses.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = InetAddress.getByName(addresses[i]);
        }
        names.put(key(name), List.of(a));
        return this;
    }

    /** Where it listens. */
    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** The names it was asked about, any type. */
    List<String> askedNames() {
        return questions.stream().map(Question::name).toList();
    }

    private static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private final class Handler extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            DnsQuestion q = query.recordAt(DnsSection.QUESTION);
            String name = key(q.name());
            questions.add(new Question(name, q.type()));
            if (silent) {
                return;
            }
            List<InetAddress> known = names.get(name);
            DatagramDnsResponse r = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            r.setRecursionDesired(query.isRecursionDesired()).setRecursionAvailable(true).setAuthoritativeAnswer(true)
                    .setCode(known == null ? DnsResponseCode.NXDOMAIN : DnsResponseCode.NOERROR);
            r.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(q.name(), q.type()));
            if (known != null && q.type() == DnsRecordType.A) {
                for (InetAddress a : known) {
                    r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(q.name(), DnsRecordType.A, ttlSeconds,
                            Unpooled.wrappedBuffer(a.getAddress())));
                }
            }
            ctx.writeAndFlush(r);
        }
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
