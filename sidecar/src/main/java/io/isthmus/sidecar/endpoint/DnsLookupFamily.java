package io.isthmus.sidecar.endpoint;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

/** Which address families of a DNS answer a cluster uses (Envoy's {@code dns_lookup_family}). */
public enum DnsLookupFamily {
    /** IPv6 addresses when there are any, else IPv4 (Envoy's default). */
    AUTO,
    /** IPv4 addresses only. */
    V4_ONLY,
    /** IPv6 addresses only. */
    V6_ONLY,
    /** IPv4 addresses when there are any, else IPv6. */
    V4_PREFERRED,
    /** Every address. */
    ALL;

    /** The addresses of an answer this family uses, in answer order. */
    public List<InetAddress> select(List<InetAddress> answer) {
        List<InetAddress> v4 = answer.stream().filter(a -> a instanceof Inet4Address).toList();
        List<InetAddress> v6 = answer.stream().filter(a -> a instanceof Inet6Address).toList();
        return switch (this) {
            case AUTO -> v6.isEmpty() ? v4 : v6;
            case V4_ONLY -> v4;
            case V6_ONLY -> v6;
            case V4_PREFERRED -> v4.isEmpty() ? v6 : v4;
            case ALL -> List.copyOf(answer);
        };
    }
}
