package io.isthmus.e2e.net;

import java.util.List;
import java.util.Objects;

/**
 * The network of one pod or gateway: its namespace (none in loopback mode) and addresses.
 *
 * @param netns           the network namespace name ({@code isthmus-<cluster>-<pod>}); empty in
 *                        loopback mode, where the process runs in the runner's own namespace
 * @param address         the primary address, the "pod IP" (eth0 on its cluster network, or its own
 *                        127.x.y.z in loopback mode): sidecar inbound listeners, admin, health, control port
 * @param addresses       all its addresses (a gateway also has one on the public network)
 * @param appAddress      where the pod's app listens ({@code 127.0.0.1} inside its own namespace)
 * @param outboundAddress where its sidecar's outbound listeners bind and its mesh names resolve to
 *                        ({@code 127.0.0.2} inside its own namespace)
 */
public record PodNetwork(String netns, String address, List<String> addresses, String appAddress, String outboundAddress) {
    /** The app address inside a pod's own namespace. */
    public static final String NETNS_APP_ADDRESS = "127.0.0.1";
    /** The outbound address inside a pod's own namespace ({@code XdsNames.OUTBOUND_BIND_ADDRESS}). */
    public static final String NETNS_OUTBOUND_ADDRESS = io.isthmus.mesh.XdsNames.OUTBOUND_BIND_ADDRESS;

    public PodNetwork {
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(appAddress, "appAddress");
        Objects.requireNonNull(outboundAddress, "outboundAddress");
        addresses = List.copyOf(addresses);
    }

    /** A pod or gateway in its own network namespace: app on 127.0.0.1, outbound on 127.0.0.2. */
    public PodNetwork(String netns, String address, List<String> addresses) {
        this(netns, address, addresses, NETNS_APP_ADDRESS, NETNS_OUTBOUND_ADDRESS);
    }

    /** Whether it has a network namespace of its own. */
    public boolean isolated() {
        return !netns.isEmpty();
    }

    /** The command prefix that runs a program inside this namespace (none in loopback mode). */
    public List<String> execPrefix() {
        return isolated() ? List.of("ip", "netns", "exec", netns) : List.of();
    }
}
