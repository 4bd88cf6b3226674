package io.isthmus.sidecar.listener;

import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import io.isthmus.sidecar.filter.RbacPolicy;
import io.isthmus.sidecar.filter.TcpChain;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates an {@code envoy.filters.network.tcp_proxy} into a {@link TcpChain}. Honoured: its
 * {@code cluster}, or its {@code weighted_clusters} ({@code name} and {@code weight} of each; every
 * new connection picks one by weight and keeps it). Envoy's {@code cluster_specifier} is required, so
 * a proxy with neither is refused naming {@code cluster}; an empty cluster name and a weight of 0 are
 * refused as Envoy's validation refuses them ({@code min_len: 1}, {@code gte: 1}). Tunnelling,
 * on-demand cluster discovery and {@code metadata_match} (subset load balancing), on the proxy or on
 * one of its weighted clusters, are refused naming the field. {@code hash_policy}: {@code source_ip} (a
 * consistent-hash cluster picks a connection's endpoint by the client's IP address); {@code filter_state} is
 * refused. {@code max_connect_attempts} (at least 1): how many endpoints a connection tries; unset, the proxy's
 * default of {@value TcpChain#DEFAULT_CONNECT_ATTEMPTS} (Envoy's is 1). The other fields ({@code stat_prefix}, idle
 * timeouts, access logs) are ignored.
 */
final class TcpProxyTranslator {

    private TcpProxyTranslator() {
    }

    /**
     * @param name the listener's name
     * @param f the path of the filter's {@code typed_config} in the listener
     * @param tp the filter's config
     * @param rbac the network RBAC filters before it, in order
     */
    static TcpChain translate(String name, String f, TcpProxy tp, List<RbacPolicy> rbac) throws InvalidResourceException {
        if (tp.hasTunnelingConfig()) {
            throw invalid(name, f + ".tunneling_config", "tunnelling TCP over HTTP is not supported");
        }
        if (tp.hasOnDemand()) {
            throw invalid(name, f + ".on_demand", "on-demand cluster discovery is not supported");
        }
        if (tp.hasMetadataMatch()) {
            throw invalid(name, f + ".metadata_match", "subset load balancing is not supported");
        }
        boolean sourceIp = false;
        for (int i = 0; i < tp.getHashPolicyCount(); i++) {
            var h = tp.getHashPolicy(i);
            if (h.hasSourceIp()) {
                sourceIp = true;
            } else {
                throw invalid(name, f + ".hash_policy[" + i + "]", "only source_ip is supported");
            }
        }
        TcpChain chain = chain(name, f, tp, rbac).withSourceIpHash(sourceIp);
        if (tp.hasMaxConnectAttempts()) {
            long attempts = tp.getMaxConnectAttempts().getValue() & 0xFFFF_FFFFL;
            if (attempts < 1) {
                throw invalid(name, f + ".max_connect_attempts", "must be at least 1");
            }
            // more attempts than a cluster could have endpoints make no sense; the cap keeps the number an int
            chain = chain.withMaxConnectAttempts((int) Math.min(attempts, 1000));
        }
        return chain;
    }

    private static TcpChain chain(String name, String f, TcpProxy tp, List<RbacPolicy> rbac) throws InvalidResourceException {
        return switch (tp.getClusterSpecifierCase()) {
            case CLUSTER -> {
                if (tp.getCluster().isEmpty()) {
                    throw invalid(name, f + ".cluster", "must name a cluster");
                }
                yield TcpChain.of(tp.getStatPrefix(), tp.getCluster(), rbac);
            }
            case WEIGHTED_CLUSTERS -> new TcpChain(tp.getStatPrefix(), weighted(name, f + ".weighted_clusters",
                    tp.getWeightedClusters()), rbac);
            default -> throw invalid(name, f + ".cluster", "must name a cluster (or weighted_clusters list the clusters)");
        };
    }

    private static List<TcpChain.WeightedCluster> weighted(String name, String f, TcpProxy.WeightedCluster wc)
            throws InvalidResourceException {
        if (wc.getClustersCount() == 0) {
            throw invalid(name, f + ".clusters", "must list at least one cluster");
        }
        List<TcpChain.WeightedCluster> clusters = new ArrayList<>(wc.getClustersCount());
        for (int i = 0; i < wc.getClustersCount(); i++) {
            TcpProxy.WeightedCluster.ClusterWeight cw = wc.getClusters(i);
            String cf = f + ".clusters[" + i + "]";
            if (cw.getName().isEmpty()) {
                throw invalid(name, cf + ".name", "must name a cluster");
            }
            long weight = Integer.toUnsignedLong(cw.getWeight());
            if (weight == 0) {
                throw invalid(name, cf + ".weight", "must be at least 1 (a cluster that should get no connections is left out)");
            }
            if (cw.hasMetadataMatch()) {
                throw invalid(name, cf + ".metadata_match", "subset load balancing is not supported");
            }
            clusters.add(new TcpChain.WeightedCluster(cw.getName(), weight));
        }
        return clusters;
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.LISTENER, name, field, reason);
    }
}
