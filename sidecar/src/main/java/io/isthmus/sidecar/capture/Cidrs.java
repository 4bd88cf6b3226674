package io.isthmus.sidecar.capture;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Validation of the CIDRs of {@code isthmus iptables}: IPv4 ({@code a.b.c.d/n}) and IPv6 ({@code x::y/n}) ranges. */
final class Cidrs {

    private Cidrs() {
    }

    /**
     * Validates a CIDR (a bare address meaning a single host) and returns it in canonical text:
     * IPv4 dotted quads, IPv6 as written but lower case; throws naming {@code field} otherwise.
     */
    static String canonical(String s, String field) {
        String[] parts = s.split("/", -1);
        if (parts.length > 2) {
            throw new IllegalArgumentException(field + ": '" + s + "' is not a CIDR");
        }
        boolean v6 = parts[0].indexOf(':') >= 0;
        String ip = v6 ? ipv6(parts[0], s, field) : ipv4(parts[0], s, field);
        int max = v6 ? 128 : 32;
        int len = max;
        if (parts.length == 2) {
            try {
                len = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                len = -1;
            }
            if (len < 0 || len > max) {
                throw new IllegalArgumentException(field + ": '" + s + "' has a bad prefix length");
            }
        }
        return ip + "/" + len;
    }

    private static String ipv4(String address, String s, String field) {
        String[] octets = address.split("\\.", -1);
        if (octets.length != 4) {
            throw new IllegalArgumentException(field + ": '" + s + "' is not an IPv4 or IPv6 CIDR");
        }
        StringBuilder ip = new StringBuilder();
        for (String o : octets) {
            int v;
            try {
                v = Integer.parseInt(o);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(field + ": '" + s + "' is not an IPv4 CIDR");
            }
            if (v < 0 || v > 255 || o.isEmpty() || o.length() > 3) {
                throw new IllegalArgumentException(field + ": '" + s + "' is not an IPv4 CIDR");
            }
            ip.append(ip.length() == 0 ? "" : ".").append(v);
        }
        return ip.toString();
    }

    private static String ipv6(String address, String s, String field) {
        if (!address.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException(field + ": '" + s + "' is not an IPv6 CIDR");
        }
        try {
            if (!(InetAddress.getByName(address) instanceof Inet6Address)) {
                throw new IllegalArgumentException(field + ": '" + s + "' is an IPv4-mapped address, not an IPv6 CIDR");
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(field + ": '" + s + "' is not an IPv6 CIDR");
        }
        return address.toLowerCase(java.util.Locale.ROOT);
    }
}
