package io.isthmus.sidecar.listener;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * A destination address range of a filter chain match ({@code filter_chain_match.prefix_ranges}):
 * an IPv4 or IPv6 network and its prefix length.
 *
 * @param network the network address, its bits past {@code length} cleared
 * @param length the prefix length in bits, 0..32 (IPv4) or 0..128 (IPv6)
 */
record PrefixRange(InetAddress network, int length) {

    PrefixRange {
        Objects.requireNonNull(network, "network");
        int bits = network.getAddress().length * 8;
        if (length < 0 || length > bits) {
            throw new IllegalArgumentException("prefix length " + length + " out of range for " + network.getHostAddress());
        }
        network = mask(network, length);
    }

    /** Parses an address literal and prefix length; throws {@link IllegalArgumentException} when not an IP literal. */
    static PrefixRange of(String address, int length) {
        if (address.isEmpty() || !(address.indexOf(':') >= 0 || address.chars().allMatch(c -> c == '.' || Character.isDigit(c)))) {
            throw new IllegalArgumentException("'" + address + "' is not an IP address");
        }
        try {
            return new PrefixRange(InetAddress.getByName(address), length);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + address + "' is not an IP address");
        }
    }

    /** Whether {@code a} lies in this range (an address of the other family never does). */
    boolean contains(InetAddress a) {
        return a.getAddress().length == network.getAddress().length && mask(a, length).equals(network);
    }

    private static InetAddress mask(InetAddress a, int length) {
        byte[] b = a.getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, length - i * 8));
            b[i] = (byte) (b[i] & (0xff << (8 - keep)));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + length;
    }
}
