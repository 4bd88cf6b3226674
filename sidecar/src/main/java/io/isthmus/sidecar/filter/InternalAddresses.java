package io.isthmus.sidecar.filter;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which client addresses the connection manager counts as internal (Envoy's
 * {@code internal_address_config}). An internal request may steer the router with the
 * {@code x-envoy-*} request headers; every other request has them removed.
 *
 * <p>Without {@code internal_address_config} no address is internal (Envoy since 1.36). With it and
 * {@code cidr_ranges}, the addresses in those ranges; with it and no ranges, Envoy's built-in set:
 * 10/8, 172.16/12, 192.168/16, 127.0.0.1, ::1 and fd00::/8.
 *
 * @param configured whether {@code internal_address_config} was given
 * @param ranges its {@code cidr_ranges}
 */
public record InternalAddresses(boolean configured, List<Cidr> ranges) {

    /** No address is internal. */
    public static final InternalAddresses NONE = new InternalAddresses(false, List.of());

    private static final List<Cidr> BUILT_IN = List.of(Cidr.parse("10.0.0.0", 8), Cidr.parse("172.16.0.0", 12),
            Cidr.parse("192.168.0.0", 16), Cidr.parse("127.0.0.1", 32), Cidr.parse("::1", 128), Cidr.parse("fd00::", 8));

    public InternalAddresses {
        ranges = List.copyOf(ranges);
        if (!configured && !ranges.isEmpty()) {
            throw new IllegalArgumentException("ranges need a configured internal_address_config");
        }
    }

    /** True when the address (an IP literal) is internal. */
    public boolean isInternal(String address) {
        if (!configured || address == null || address.isEmpty()) {
            return false;
        }
        Optional<byte[]> a = literal(address);
        if (a.isEmpty()) {
            return false;
        }
        for (Cidr c : ranges.isEmpty() ? BUILT_IN : ranges) {
            if (c.contains(a.get())) {
                return true;
            }
        }
        return false;
    }

    /** The bytes of an IPv4 or IPv6 literal (no port, no brackets), never a name lookup. */
    static Optional<byte[]> literal(String s) {
        String t = s.trim();
        if (t.isEmpty() || !t.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            return Optional.empty();
        }
        if (t.indexOf(':') < 0 && !t.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(t).getAddress());
        } catch (UnknownHostException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * An address range.
     *
     * @param network the network address bytes (4 or 16)
     * @param prefixLength leading bits that must match
     */
    public record Cidr(byte[] network, int prefixLength) {
        public Cidr {
            Objects.requireNonNull(network, "network");
            network = network.clone();
            if (network.length != 4 && network.length != 16) {
                throw new IllegalArgumentException("network must be an IPv4 or IPv6 address");
            }
            if (prefixLength < 0 || prefixLength > network.length * 8) {
                throw new IllegalArgumentException("prefix length " + prefixLength + " out of range");
            }
        }

        /** A range from an address literal and a prefix length; rejects anything that is not an IP literal. */
        public static Cidr parse(String address, int prefixLength) {
            byte[] b = literal(address).orElseThrow(() -> new IllegalArgumentException("not an IP address: '" + address + "'"));
            return new Cidr(b, prefixLength);
        }

        boolean contains(byte[] a) {
            if (a.length != network.length) {
                return false;
            }
            int bits = network.length * 8;
            BigInteger mask = prefixLength == 0 ? BigInteger.ZERO
                    : BigInteger.ONE.shiftLeft(prefixLength).subtract(BigInteger.ONE).shiftLeft(bits - prefixLength);
            return new BigInteger(1, a).and(mask).equals(new BigInteger(1, network).and(mask));
        }
    }
}
