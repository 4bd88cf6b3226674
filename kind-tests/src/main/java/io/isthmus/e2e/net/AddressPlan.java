package io.isthmus.e2e.net;

import io.isthmus.e2e.topology.ClusterSpec;
import io.isthmus.e2e.topology.Topology;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which addresses the local federation uses. Network {@code i} (1-based, in the order the
 * topology names networks) is {@code 10.i.0.0/16} on bridge {@code ib<i>}; the k-th cluster on it
 * has its "node" address {@code 10.i.0.(k+1)} (its API server and controller listen there) and
 * its pods in {@code 10.i.(k+1).10..250}; the network's east-west gateway has {@code 10.i.0.200}
 * on the network and {@code 10.255.0.i} on the public network {@code 10.255.0.0/24}, whose bridge
 * {@code ib-pub} has {@code 10.255.0.254}. With two clusters on two networks: east is 10.1.0.1,
 * west 10.2.0.1, their gateways 10.255.0.1 and 10.255.0.2.
 * <p>Outside the mesh (only when the topology declares edge gateways): the "outside" network
 * {@code 10.254.0.0/24} (bridge {@code ib-out}) holds the ingress gateway of the k-th cluster at
 * {@code 10.254.0.k} and the external client at {@code 10.254.0.100}; the "external" network
 * {@code 10.253.0.0/24} (bridge {@code ib-ext}) holds the egress gateway of the k-th cluster at
 * {@code 10.253.0.k} and the j-th external service at {@code 10.253.0.(100+j)}. Neither network is
 * routed anywhere: the client reaches ingress gateways only, external services hear egress gateways only.
 */
public final class AddressPlan {
    /** The public network of the east-west gateways. */
    public static final String PUBLIC_SUBNET = "10.255.0.0/24";
    /** The outer namespace's address on the public network. */
    public static final String PUBLIC_ROUTER = "10.255.0.254";
    /** The public network's bridge. */
    public static final String PUBLIC_BRIDGE = "ib-pub";

    /** The network of clients outside the mesh and the ingress gateways' outer legs. */
    public static final String OUTSIDE_SUBNET = "10.254.0.0/24";
    /** The outer namespace's address on the outside network (the test driver's way in). */
    public static final String OUTSIDE_ROUTER = "10.254.0.254";
    /** The outside network's bridge. */
    public static final String OUTSIDE_BRIDGE = "ib-out";
    /** The external client's address. */
    public static final String OUTSIDE_CLIENT = "10.254.0.100";
    /** The network of external services and the egress gateways' outer legs. */
    public static final String EXTERNAL_SUBNET = "10.253.0.0/24";
    /** The outer namespace's address on the external network. */
    public static final String EXTERNAL_ROUTER = "10.253.0.254";
    /** The external network's bridge. */
    public static final String EXTERNAL_BRIDGE = "ib-ext";

    /** One cluster network's addressing. */
    public record NetworkAddresses(String network, int index, String bridge, String subnet, String router,
                                   String gatewayAddress, String gatewayPublicAddress) {
        public NetworkAddresses {
            Objects.requireNonNull(network, "network");
        }
    }

    private final Map<String, NetworkAddresses> networks = new LinkedHashMap<>();
    private final Map<String, String> clusterNode = new HashMap<>();
    private final Map<String, Integer> clusterBlock = new HashMap<>();
    private final Map<String, Integer> nextHost = new HashMap<>();

    /** The plan for a topology. */
    public AddressPlan(Topology topology) {
        List<String> nets = topology.networks();
        if (nets.size() > 200) {
            throw new NetException("at most 200 networks, the topology has " + nets.size());
        }
        for (int i = 0; i < nets.size(); i++) {
            int n = i + 1;
            networks.put(nets.get(i), new NetworkAddresses(nets.get(i), n, "ib" + n, "10." + n + ".0.0/16",
                    "10." + n + ".0.1", "10." + n + ".0.200", "10.255.0." + n));
        }
        Map<String, Integer> perNetwork = new HashMap<>();
        for (ClusterSpec c : topology.clusters()) {
            int k = perNetwork.merge(c.network(), 1, Integer::sum);
            NetworkAddresses na = networks.get(c.network());
            clusterNode.put(c.name(), "10." + na.index() + ".0." + k);
            clusterBlock.put(c.name(), k);
        }
    }

    /** All networks, in topology order. */
    public List<NetworkAddresses> networks() {
        return List.copyOf(networks.values());
    }

    /** The addressing of a network. */
    public NetworkAddresses network(String network) {
        NetworkAddresses na = networks.get(network);
        if (na == null) {
            throw new NetException("no network named '" + network + "' in the plan");
        }
        return na;
    }

    /** The node address of a cluster (its API server and controller). */
    public String nodeAddress(String cluster) {
        String a = clusterNode.get(cluster);
        if (a == null) {
            throw new NetException("no cluster named '" + cluster + "' in the plan");
        }
        return a;
    }

    /** The ingress gateway address of the {@code clusterIndex}-th cluster (1-based) on the outside network. */
    public static String ingressOutsideAddress(int clusterIndex) {
        return "10.254.0." + requireIndex(clusterIndex);
    }

    /** The egress gateway address of the {@code clusterIndex}-th cluster (1-based) on the external network. */
    public static String egressExternalAddress(int clusterIndex) {
        return "10.253.0." + requireIndex(clusterIndex);
    }

    /** The address of the {@code serviceIndex}-th external service (1-based). */
    public static String externalServiceAddress(int serviceIndex) {
        if (serviceIndex < 1 || serviceIndex > 100) {
            throw new NetException("at most 100 external services, asked for number " + serviceIndex);
        }
        return "10.253.0." + (100 + serviceIndex);
    }

    private static int requireIndex(int i) {
        if (i < 1 || i > 99) {
            throw new NetException("edge gateways exist for clusters 1..99, asked for " + i);
        }
        return i;
    }

    /** The next free pod address of a cluster on its network. */
    public synchronized String nextPodAddress(String cluster, String network) {
        int block = clusterBlock.get(cluster);
        int host = nextHost.merge(cluster, 1, Integer::sum) + 9;
        if (host > 250) {
            throw new NetException("cluster '" + cluster + "' has more than 241 pods");
        }
        return "10." + network(network).index() + "." + block + "." + host;
    }
}
