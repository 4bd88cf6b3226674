package io.isthmus.e2e.net;

import io.isthmus.e2e.topology.ClusterSpec;
import io.isthmus.e2e.topology.Topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which loopback addresses a local federation without network namespaces uses: the k-th cluster
 * of the topology owns {@code 127.k.0.0/16}, its node (API server, controller) is
 * {@code 127.k.0.1}, and its j-th pod gets the three addresses of {@code 127.k.j.0/24}: the pod IP
 * {@code 127.k.j.1} (sidecar inbound listeners, admin, health, metrics, the demo app's control
 * port), the app's address {@code 127.k.j.2} (where a pod's own namespace would have
 * {@code 127.0.0.1}) and the outbound address {@code 127.k.j.3} (where it would have
 * {@code 127.0.0.2}). The i-th network's east-west gateway is {@code 127.255.0.i} on the "public"
 * {@code 127.255.0.0/24}. Every address is in {@code 127.0.0.0/8} and none is shared, so no
 * process binds {@code 0.0.0.0} or a port another one binds. With two clusters: east's node
 * 127.1.0.1, west's 127.2.0.1, their gateways 127.255.0.1 and 127.255.0.2.
 */
public final class LoopbackPlan {
    /** The public network of the east-west gateways. */
    public static final String PUBLIC_SUBNET = "127.255.0.0/24";
    /** At most this many clusters (127.1 .. 127.250; 127.251-255 stay free for the runner). */
    public static final int MAX_CLUSTERS = 250;
    /** At most this many pods per cluster in one run (addresses are not reused after a pod dies). */
    public static final int MAX_PODS = 254;
    /** At most this many networks (gateways 127.255.0.1 .. 127.255.0.254). */
    public static final int MAX_NETWORKS = 254;

    /**
     * The three addresses of one pod.
     *
     * @param podIp    the pod IP: inbound listeners, admin/health/metrics, control port
     * @param app      where the app listens
     * @param outbound where the sidecar's outbound listeners bind; mesh hostnames resolve here
     */
    public record PodAddresses(String podIp, String app, String outbound) {
        public PodAddresses {
            Objects.requireNonNull(podIp, "podIp");
            Objects.requireNonNull(app, "app");
            Objects.requireNonNull(outbound, "outbound");
        }

        /** All three. */
        public List<String> all() {
            return List.of(podIp, app, outbound);
        }
    }

    private final Map<String, Integer> clusterIndex = new LinkedHashMap<>();
    private final Map<String, Integer> networkIndex = new LinkedHashMap<>();
    private final Map<String, Integer> nextPod = new HashMap<>();

    /** The plan for a topology. */
    public LoopbackPlan(Topology topology) {
        List<ClusterSpec> clusters = topology.clusters();
        if (clusters.size() > MAX_CLUSTERS) {
            throw new NetException("loopback mode takes at most " + MAX_CLUSTERS + " clusters, the topology has " + clusters.size());
        }
        List<String> nets = topology.networks();
        if (nets.size() > MAX_NETWORKS) {
            throw new NetException("loopback mode takes at most " + MAX_NETWORKS + " networks, the topology has " + nets.size());
        }
        for (int i = 0; i < clusters.size(); i++) {
            clusterIndex.put(clusters.get(i).name(), i + 1);
        }
        for (int i = 0; i < nets.size(); i++) {
            networkIndex.put(nets.get(i), i + 1);
        }
    }

    /** The node address of a cluster: {@code 127.k.0.1}. */
    public String nodeAddress(String cluster) {
        return "127." + cluster(cluster) + ".0.1";
    }

    /** The subnet of a cluster: {@code 127.k.0.0/16}. */
    public String clusterSubnet(String cluster) {
        return "127." + cluster(cluster) + ".0.0/16";
    }

    /** The east-west gateway address of a network: {@code 127.255.0.i}. */
    public String gatewayAddress(String network) {
        Integer i = networkIndex.get(network);
        if (i == null) {
            throw new NetException("no network named '" + network + "' in the plan");
        }
        return "127.255.0." + i;
    }

    /** The addresses of the next pod of a cluster. */
    public synchronized PodAddresses nextPod(String cluster) {
        int k = cluster(cluster);
        int j = nextPod.merge(cluster, 1, Integer::sum);
        if (j > MAX_PODS) {
            throw new NetException("cluster '" + cluster + "' has had more than " + MAX_PODS + " pods in this run (loopback mode)");
        }
        String block = "127." + k + "." + j + ".";
        return new PodAddresses(block + "1", block + "2", block + "3");
    }

    /** Every node and gateway address (the fixed part of the plan). */
    public List<String> fixedAddresses() {
        List<String> out = new ArrayList<>();
        clusterIndex.keySet().forEach(c -> out.add(nodeAddress(c)));
        networkIndex.keySet().forEach(n -> out.add(gatewayAddress(n)));
        return out;
    }

    /** Whether {@code ip} is a dotted IPv4 address in {@code 127.0.0.0/8}. */
    public static boolean isLoopback(String ip) {
        String[] o = ip.split("\\.", -1);
        if (o.length != 4 || !o[0].equals("127")) {
            return false;
        }
        for (String s : o) {
            if (!s.matches("\\d{1,3}") || Integer.parseInt(s) > 255) {
                return false;
            }
        }
        return true;
    }

    private int cluster(String cluster) {
        Integer k = clusterIndex.get(cluster);
        if (k == null) {
            throw new NetException("no cluster named '" + cluster + "' in the plan");
        }
        return k;
    }
}
