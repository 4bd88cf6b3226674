package io.isthmus.sidecar.endpoint;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DefaultDnsCache;
import io.netty.resolver.dns.DefaultDnsCnameCache;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's own resolver when it runs a DNS proxy that the pod's {@code resolv.conf} points at
 * (Istio's agent, whose own lookups never go through its DNS proxy): a name is looked up in the
 * hosts file first, then asked of ONE DNS server, the DNS proxy's upstream (the pod's real resolver,
 * {@code --dns-upstream}), with the search list and {@code ndots} of {@code resolv.conf}; A and AAAA,
 * IPv4 first. A mesh hostname thus resolves to what the cluster's DNS says (its ClusterIP), not to
 * the proxy's outbound address. Positive answers are cached for their TTL, at most
 * {@value #MAX_TTL_SECONDS} s (the JVM's default); failures are not cached. Without a server, names
 * outside the hosts file fail, saying so. Lookups run on one daemon thread of their own; {@link #resolve}
 * blocks its caller (never call it on an event loop). Thread-safe.
 */
public final class DnsServerResolver implements HostResolver, AutoCloseable {
    /** The longest a positive answer is cached, seconds (the JVM's {@code networkaddress.cache.ttl}). */
    public static final int MAX_TTL_SECONDS = 30;
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(10);

    private final Optional<InetSocketAddress> server;
    private final HostsFile hosts;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final DnsNameResolver resolver;

    /**
     * @param server the DNS server to ask; empty = the hosts file only
     * @param search the search domains, in order (from {@code resolv.conf})
     * @param ndots  the dots a name needs to be tried as is first (from {@code resolv.conf}, 0..15)
     * @param hosts  the hosts file consulted before the server
     */
    public DnsServerResolver(Optional<InetSocketAddress> server, List<String> search, int ndots, HostsFile hosts) {
        this.server = Objects.requireNonNull(server, "server");
        this.hosts = Objects.requireNonNull(hosts, "hosts");
        Objects.requireNonNull(search, "search");
        if (ndots < 0 || ndots > 15) {
            throw new IllegalArgumentException("ndots: out of range " + ndots);
        }
        if (server.isEmpty()) {
            group = null;
            loop = null;
            resolver = null;
            return;
        }
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("isthmus-resolver", true), NioIoHandler.newFactory());
        loop = group.next();
        resolver = new DnsNameResolverBuilder(loop)
                .datagramChannelType(NioDatagramChannel.class)
                .socketChannelType(NioSocketChannel.class)
                .nameServerProvider(new SingletonDnsServerAddressStreamProvider(server.get()))
                .searchDomains(search).ndots(ndots)
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .hostsFileEntriesResolver((name, types) -> null)
                .resolveCache(new DefaultDnsCache(0, MAX_TTL_SECONDS, 0))
                .cnameCache(new DefaultDnsCnameCache(0, MAX_TTL_SECONDS))
                .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
                .queryTimeoutMillis(QUERY_TIMEOUT.toMillis())
                .build();
    }

    /** The DNS server asked after the hosts file, if any. */
    public Optional<InetSocketAddress> server() {
        return server;
    }

    @Override
    public List<InetAddress> resolve(String host) throws UnknownHostException {
        Objects.requireNonNull(host, "host");
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
        if (literal != null) {
            return List.of(InetAddress.getByAddress(host, literal));
        }
        List<InetAddress> listed = hosts.lookup(host);
        if (!listed.isEmpty()) {
            return listed;
        }
        String name = host.toLowerCase(Locale.ROOT);
        if (name.equals("localhost") || name.equals("localhost.")) {
            return List.of(InetAddress.getLoopbackAddress());
        }
        if (resolver == null) {
            throw new UnknownHostException(host + ": not in the hosts file, and there is no DNS server to ask (the DNS proxy has "
                    + "no upstream resolver: --dns-upstream none, or no other nameserver in resolv.conf; --dns-upstream IP[:PORT] names one)");
        }
        if (loop.inEventLoop()) {
            throw new IllegalStateException("resolve(" + host + ") called on the resolver's own thread");
        }
        Future<List<InetAddress>> f = resolver.resolveAll(host);
        boolean done;
        try {
            done = f.await(RESOLVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(false);
            throw new UnknownHostException(host + ": interrupted while asking DNS server " + server.get());
        }
        if (!done) {
            f.cancel(false);
            throw new UnknownHostException(host + ": no answer from DNS server " + server.get() + " within "
                    + RESOLVE_TIMEOUT.toSeconds() + "s");
        }
        if (!f.isSuccess() || f.getNow() == null || f.getNow().isEmpty()) {
            Throwable cause = f.cause();
            UnknownHostException e = new UnknownHostException(host + ": not resolved by DNS server " + server.get()
                    + (cause == null ? ": no address" : ": " + reason(cause)));
            if (cause != null) {
                e.initCause(cause);
            }
            throw e;
        }
        return List.copyOf(f.getNow());
    }

    private static String reason(Throwable t) {
        StringBuilder b = new StringBuilder(String.valueOf(t.getMessage()));
        for (Throwable c = t.getCause(); c != null && c != t; c = c.getCause()) {
            b.append(": ").append(c.getMessage());
        }
        return b.toString();
    }

    @Override
    public void close() {
        if (resolver != null) {
            resolver.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return "DnsServerResolver[" + server.map(Object::toString).orElse("hosts file only") + "]";
    }
}
