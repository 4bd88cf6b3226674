package io.isthmus.sidecar.dns;

import io.isthmus.mesh.XdsNames;
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
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's DNS server (Istio's DNS proxying): A queries for mesh hostnames
 * ({@link MeshHostnames}) are answered with {@link XdsNames#OUTBOUND_BIND_ADDRESS} (or the pod's own
 * outbound address, node metadata {@code ISTHMUS_OUTBOUND_ADDRESS}, when it has no network namespace) so that the
 * app's connection lands on the outbound listener of the port it calls; AAAA and other types for
 * mesh names get an empty NOERROR answer (so clients fall back to IPv4); other names are forwarded
 * to the upstream resolver (the pod's real one: {@code --dns-upstream}, else {@link ResolvConf#upstreamFor}),
 * or answered NXDOMAIN when there is none ({@code --dns-upstream none} says so on purpose: a pod with
 * no cluster DNS, answered from the mesh's names only) — except while a route
 * configuration holds the {@code block_all} virtual host (REGISTRY_ONLY, {@link MeshHostnames#blockAll()}):
 * then every name is answered like a mesh name, so the call reaches the proxy, which refuses it with
 * {@code 502 NR} and counts it (there is no iptables capture). In transparent capture (node metadata
 * {@code INTERCEPTION_MODE} {@code TPROXY} or {@code REDIRECT}, {@link #capturesTransparently}) the
 * app connects to a service's own address, which the rules send to the proxy, as Istio's DNS proxy
 * does: a mesh name is answered with its VIPs in the proxy's cluster ({@link MeshHostnames#vips}; A
 * with the IPv4 ones, AAAA with the IPv6 ones, an empty NOERROR when the family has none), a mesh
 * name without VIPs and every other name are forwarded (NXDOMAIN without upstream), and
 * {@code block_all} changes nothing (the capture listener refuses what the registry does not
 * know). In transparent capture with DNS capture ({@code isthmus iptables --redirect-dns}) the rules
 * send the app's queries to {@code 127.0.0.1:<port>} (IPv4) and {@code [::1]:<port>} (IPv6): a
 * proxy bound to {@code 127.0.0.1} in capture mode also listens on {@code [::1]} at the same port when
 * it can. Malformed packets are dropped. UDP only; runs on its own single Netty event loop.
 */
public final class DnsProxy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DnsProxy.class);
    private static final long TTL_SECONDS = 30;
    private static final byte[] OUTBOUND = outbound();
    private static final InetAddress IPV6_LOOPBACK = ipv6Loopback();

    private final byte[] answer;
    private final boolean capture;
    private final MeshHostnames hostnames;
    private final Optional<InetSocketAddress> upstream;
    private final EventLoopGroup group;
    private Channel channel;
    /** The same service on {@code [::1]} (capture mode, bound to 127.0.0.1), for IPv6 queries redirected there; may be null. */
    private Channel channel6;

    private DnsProxy(MeshHostnames hostnames, Optional<InetSocketAddress> upstream, byte[] answer, boolean capture) {
        this.answer = answer.clone();
        this.capture = capture;
        this.hostnames = hostnames;
        this.upstream = upstream;
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    private static InetAddress ipv6Loopback() {
        byte[] one = new byte[16];
        one[15] = 1;
        try {
            return InetAddress.getByAddress(one); // ::1 (InetAddress.getLoopbackAddress() may be 127.0.0.1)
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] outbound() {
        try {
            return InetAddress.getByName(XdsNames.OUTBOUND_BIND_ADDRESS).getAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts the proxy on {@code bind} ({@code vertx} is only used to complete the future on a
     * Vert.x context).
     *
     * @param upstream where other names go ({@link ResolvConf#upstreamFor}, or {@code --dns-upstream}); empty, or
     *                 the proxy's own address, = answer NXDOMAIN (logged once as a warning)
     */
    public static Future<DnsProxy> start(Vertx vertx, InetSocketAddress bind, MeshHostnames hostnames,
                                         Optional<InetSocketAddress> upstream) {
        return start(vertx, bind, hostnames, upstream, Optional.empty());
    }

    /**
     * Starts the proxy on {@code bind}, answering mesh names with {@code answer} (an IPv4 address;
     * empty = {@link XdsNames#OUTBOUND_BIND_ADDRESS}).
     */
    public static Future<DnsProxy> start(Vertx vertx, InetSocketAddress bind, MeshHostnames hostnames,
                                         Optional<InetSocketAddress> upstream, Optional<java.net.Inet4Address> answer) {
        return start(vertx, bind, hostnames, upstream, answer, false);
    }

    /**
     * Starts the proxy on {@code bind}; with {@code capture} (transparent capture) mesh names are
     * answered with their VIPs instead of {@code answer}.
     */
    public static Future<DnsProxy> start(Vertx vertx, InetSocketAddress bind, MeshHostnames hostnames,
                                         Optional<InetSocketAddress> upstream, Optional<java.net.Inet4Address> answer,
                                         boolean capture) {
        return start(vertx, bind, hostnames, upstream, answer, capture, false);
    }

    /**
     * Starts the proxy on {@code bind}; with {@code noUpstream} ({@code --dns-upstream none}) it has no
     * upstream resolver on purpose: {@code upstream} must be empty, names outside the mesh are answered
     * NXDOMAIN at once, and nothing is warned at start.
     */
    public static Future<DnsProxy> start(Vertx vertx, InetSocketAddress bind, MeshHostnames hostnames,
                                         Optional<InetSocketAddress> upstream, Optional<java.net.Inet4Address> answer,
                                         boolean capture, boolean noUpstream) {
        Objects.requireNonNull(answer, "answer");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(hostnames, "hostnames");
        Objects.requireNonNull(upstream, "upstream");
        if (noUpstream && upstream.isPresent()) {
            throw new IllegalArgumentException("upstream: " + upstream.get() + " given with no upstream (--dns-upstream none)");
        }
        Optional<InetSocketAddress> up = upstream.filter(u -> !ResolvConf.isOwnAddress(u, bind));
        DnsProxy p = new DnsProxy(hostnames, up, answer.map(InetAddress::getAddress).orElse(OUTBOUND), capture);
        Promise<DnsProxy> promise = Promise.promise();
        p.server().bind(bind).addListener(f -> {
            if (!f.isSuccess()) {
                p.group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                promise.fail(new IOException("DNS proxy cannot bind " + bind + ": " + f.cause().getMessage(), f.cause()));
                return;
            }
            p.channel = ((io.netty.channel.ChannelFuture) f).channel();
            if (!capture || !"127.0.0.1".equals(p.localAddress().getAddress().getHostAddress())) {
                p.started(noUpstream, promise);
                return;
            }
            // ip6tables DNS capture redirects IPv6 queries to [::1] at the same port
            InetSocketAddress v6 = new InetSocketAddress(IPV6_LOOPBACK, p.localAddress().getPort());
            io.netty.channel.ChannelFuture f6 = p.server().bind(v6);
            f6.addListener(done -> {
                if (done.isSuccess()) {
                    p.channel6 = f6.channel();
                } else {
                    LOG.info("DNS proxy not listening on [{}]: {}; IPv6 queries redirected there are not answered",
                            v6, done.cause().getMessage());
                }
                p.started(noUpstream, promise);
            });
        });
        return promise.future();
    }

    private Bootstrap server() {
        return new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(), new QueryHandler());
                    }
                });
    }

    /** Logs where it listens and what it does with other names, and completes {@code promise}. */
    private void started(boolean noUpstream, Promise<DnsProxy> promise) {
        LOG.info("DNS proxy listening [{}{}] upstream={} answers={}", localAddress(),
                channel6 == null ? "" : " " + channel6.localAddress(),
                upstream.map(Object::toString).orElse(noUpstream ? "none (--dns-upstream none: NXDOMAIN)" : "none (NXDOMAIN)"),
                capture ? "VIPs (transparent capture)" : "outbound address");
        if (upstream.isEmpty() && !noUpstream) {
            LOG.warn("DNS proxy has no upstream resolver [{}]: names outside the mesh will answer NXDOMAIN;"
                    + " pass --dns-upstream IP[:PORT] (e.g. the cluster DNS), or --dns-upstream none when that is meant",
                    localAddress());
        }
        promise.complete(this);
    }

    /**
     * The address mesh names are answered with, from the node metadata value
     * {@code ISTHMUS_OUTBOUND_ADDRESS} (an IPv4 literal); empty when the value is empty.
     *
     * @throws IllegalArgumentException naming the key when the value is not an IPv4 literal
     */
    public static Optional<java.net.Inet4Address> answerAddress(String metadataValue) {
        String v = metadataValue == null ? "" : metadataValue.trim();
        if (v.isEmpty()) {
            return Optional.empty();
        }
        String[] octets = v.split("\\.", -1);
        byte[] bytes = new byte[4];
        boolean ok = octets.length == 4;
        for (int i = 0; ok && i < 4; i++) {
            ok = octets[i].matches("\\d{1,3}") && Integer.parseInt(octets[i]) <= 255;
            bytes[i] = ok ? (byte) Integer.parseInt(octets[i]) : 0;
        }
        if (!ok) {
            throw new IllegalArgumentException("node metadata ISTHMUS_OUTBOUND_ADDRESS '" + v + "' is not an IPv4 address");
        }
        try {
            return Optional.of((java.net.Inet4Address) InetAddress.getByAddress(bytes));
        } catch (IOException e) {
            throw new IllegalArgumentException("node metadata ISTHMUS_OUTBOUND_ADDRESS '" + v + "': " + e.getMessage(), e);
        }
    }

    /**
     * Whether node metadata {@code INTERCEPTION_MODE} (its value; null or empty = {@code NONE}) puts
     * the pod in transparent capture ({@code TPROXY} or {@code REDIRECT}, any case).
     */
    public static boolean capturesTransparently(String interceptionMode) {
        String m = interceptionMode == null ? "" : interceptionMode.trim().toUpperCase(java.util.Locale.ROOT);
        return m.equals("TPROXY") || m.equals("REDIRECT");
    }

    /** Where it listens. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    private final class QueryHandler extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            DnsQuestion q = query.count(DnsSection.QUESTION) > 0 ? query.recordAt(DnsSection.QUESTION) : null;
            if (q == null) {
                reply(ctx, query, DnsResponseCode.FORMERR, null, List.of(), DnsRecordType.A);
                return;
            }
            List<InetAddress> vips = capture ? hostnames.vips(q.name()) : List.of();
            if (capture && !vips.isEmpty()) {
                boolean v6 = q.type() == DnsRecordType.AAAA;
                List<byte[]> family = new ArrayList<>();
                if (v6 || q.type() == DnsRecordType.A) {
                    for (InetAddress vip : vips) {
                        if ((vip instanceof java.net.Inet6Address) == v6) {
                            family.add(vip.getAddress());
                        }
                    }
                }
                reply(ctx, query, DnsResponseCode.NOERROR, q, family, v6 ? DnsRecordType.AAAA : DnsRecordType.A);
            } else if (!capture && (hostnames.contains(q.name()) || hostnames.blockAll())) {
                boolean a = q.type() == DnsRecordType.A;
                reply(ctx, query, DnsResponseCode.NOERROR, q, a ? List.of(answer) : List.of(), DnsRecordType.A);
            } else if (upstream.isPresent()) {
                forward(ctx, query, q);
            } else {
                reply(ctx, query, DnsResponseCode.NXDOMAIN, q, List.of(), DnsRecordType.A);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("DNS packet dropped: {}", cause.toString());
        }
    }

    private void reply(ChannelHandlerContext ctx, DatagramDnsQuery query, DnsResponseCode code, DnsQuestion q,
                       List<byte[]> addresses, DnsRecordType type) {
        DatagramDnsResponse r = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
        r.setRecursionDesired(query.isRecursionDesired()).setRecursionAvailable(upstream.isPresent())
                .setAuthoritativeAnswer(code == DnsResponseCode.NOERROR).setCode(code);
        if (q != null) {
            r.addRecord(DnsSection.QUESTION, q);
            ReferenceCountUtil.retain(q);
        }
        for (byte[] address : addresses) {
            r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(q.name(), type, TTL_SECONDS,
                    Unpooled.wrappedBuffer(address)));
        }
        ctx.writeAndFlush(r);
    }

    private void forward(ChannelHandlerContext client, DatagramDnsQuery query, DnsQuestion q) {
        InetSocketAddress up = upstream.orElseThrow();
        InetSocketAddress clientAddr = query.sender();
        InetSocketAddress local = query.recipient();
        int id = query.id();
        boolean rd = query.isRecursionDesired();
        List<DnsQuestion> questions = new ArrayList<>();
        for (int i = 0; i < query.count(DnsSection.QUESTION); i++) {
            DnsRecord rec = query.recordAt(DnsSection.QUESTION, i);
            questions.add((DnsQuestion) rec);
        }
        new Bootstrap().group(client.channel().eventLoop()).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryEncoder(), new DatagramDnsResponseDecoder(),
                                new SimpleChannelInboundHandler<DatagramDnsResponse>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsResponse resp) {
                                        relay(client, resp, local, clientAddr, id);
                                        ctx.close();
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        LOG.debug("DNS upstream answer dropped [{}]: {}", up, cause.toString());
                                    }
                                });
                    }
                })
                .bind(new InetSocketAddress(0)).addListener(f -> {
                    if (!f.isSuccess()) {
                        return;
                    }
                    Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
                    DatagramDnsQuery out = new DatagramDnsQuery(null, up, id).setRecursionDesired(rd);
                    for (DnsQuestion dq : questions) {
                        out.addRecord(DnsSection.QUESTION, dq);
                    }
                    ch.writeAndFlush(out);
                    ch.eventLoop().schedule(() -> {
                        ch.close();
                    }, 5, TimeUnit.SECONDS);
                });
    }

    private static void relay(ChannelHandlerContext client, DatagramDnsResponse resp, InetSocketAddress local,
                              InetSocketAddress to, int id) {
        DatagramDnsResponse r = new DatagramDnsResponse(local, to, id, resp.opCode(), resp.code());
        r.setRecursionDesired(resp.isRecursionDesired()).setRecursionAvailable(resp.isRecursionAvailable())
                .setAuthoritativeAnswer(resp.isAuthoritativeAnswer()).setTruncated(resp.isTruncated());
        for (DnsSection s : DnsSection.values()) {
            for (int i = 0; i < resp.count(s); i++) {
                DnsRecord rec = resp.recordAt(s, i);
                ReferenceCountUtil.retain(rec);
                r.addRecord(s, rec);
            }
        }
        client.writeAndFlush(r);
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        if (channel6 != null) {
            channel6.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
