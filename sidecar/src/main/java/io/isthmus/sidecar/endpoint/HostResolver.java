package io.isthmus.sidecar.endpoint;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Resolves an endpoint host name to addresses for STRICT_DNS and LOGICAL_DNS clusters. Called off
 * the event loops (it may block). The production one, {@link #SYSTEM}, is the JDK resolver, which
 * goes through the C library and so honours {@code /etc/hosts} (and, in a network namespace entered
 * with {@code ip netns exec}, {@code /etc/netns/<ns>/hosts}) before DNS. A proxy that runs a DNS
 * proxy uses {@link DnsServerResolver} instead: {@code resolv.conf} then points at the DNS proxy,
 * which must not answer the proxy's own lookups.
 */
@FunctionalInterface
public interface HostResolver {

    /** The JDK resolver ({@link InetAddress#getAllByName}); positive answers are cached by the JVM for {@code networkaddress.cache.ttl} (30 s by default). */
    HostResolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

    /**
     * Every address of {@code host}, in the resolver's order.
     *
     * @throws UnknownHostException when the name does not resolve
     */
    List<InetAddress> resolve(String host) throws UnknownHostException;
}
