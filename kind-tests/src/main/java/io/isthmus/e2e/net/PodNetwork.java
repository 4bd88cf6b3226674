package io.isthmus.e2e.net;

import java.util.List;
import java.util.Objects;

/**
 * The network of one pod or gateway: its namespace and addresses.
 *
 * @param netns     the network namespace name ({@code isthmus-<cluster>-<pod>})
 * @param address   the primary address (eth0, on its cluster network)
 * @param addresses all its addresses (a gateway also has one on the public network)
 */
public record PodNetwork(String netns, String address, List<String> addresses) {
    public PodNetwork {
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(address, "address");
        addresses = List.copyOf(addresses);
    }

    /** The command prefix that runs a program inside this namespace. */
    public List<String> execPrefix() {
        return List.of("ip", "netns", "exec", netns);
    }
}
