package io.isthmus.controller.translate;

import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.v3.HashPolicy;
import io.isthmus.controller.config.MeshConfig;
import io.isthmus.controller.config.VirtualService;
import io.isthmus.mesh.OutboundName;
import java.util.List;
import java.util.function.Function;

/**
 * The TCP proxy of a service's TCP port on a sidecar: to the service's cluster, or where the first matching {@code tcp}
 * route of its VirtualService sends (one destination: its cluster; several: Envoy's {@code weighted_clusters}, the
 * destinations with weight 0 left out, as Istio). The stat prefix stays the service's own cluster. When every cluster
 * the proxy may pick hashes on the caller's address (a DestinationRule's {@code consistentHash.useSourceIp}), the
 * proxy carries the {@code source_ip} hash policy, as Istio sets it for TCP.
 */
final class TcpRoutes {

    private TcpRoutes() {
    }

    /**
     * @param host the service hostname
     * @param port its TCP port P
     * @param portsOf the port numbers of a destination host (a destination without a port goes to its only port, else P)
     * @param hashOf the route hash policy of a cluster as the proxy sees its DestinationRule
     */
    static TcpProxy tcpProxy(MeshConfig cfg, String host, int port, Function<String, List<Integer>> portsOf,
            Function<OutboundName, List<RouteAction.HashPolicy>> hashOf) {
        OutboundName own = OutboundName.of(host, port);
        TcpProxy.Builder tcp = TcpProxy.newBuilder().setStatPrefix(own.clusterName());
        List<VirtualService.RouteDestination> dests = cfg.virtualServicesFor(host).stream().findFirst()
                .map(vs -> vs.tcpRouteFor(port)).orElse(List.of())
                .stream().filter(d -> d.weight() > 0).toList();
        List<OutboundName> targets = dests.isEmpty() ? List.of(own)
                : dests.stream().map(d -> RouteTranslator.nameOf(d.destination(), port, portsOf)).toList();
        if (targets.stream().allMatch(t -> hashOf.apply(t).stream().anyMatch(h -> h.getConnectionProperties().getSourceIp()))) {
            tcp.addHashPolicy(HashPolicy.newBuilder().setSourceIp(HashPolicy.SourceIp.getDefaultInstance()));
        }
        if (targets.size() == 1) {
            return tcp.setCluster(targets.get(0).clusterName()).build();
        }
        TcpProxy.WeightedCluster.Builder w = TcpProxy.WeightedCluster.newBuilder();
        for (VirtualService.RouteDestination d : dests) {
            w.addClusters(TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
                    .setName(RouteTranslator.nameOf(d.destination(), port, portsOf).clusterName()).setWeight(d.weight()));
        }
        return tcp.setWeightedClusters(w).build();
    }
}
