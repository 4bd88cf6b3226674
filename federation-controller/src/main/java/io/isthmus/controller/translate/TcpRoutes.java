package io.isthmus.controller.translate;

import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.isthmus.controller.config.MeshConfig;
import io.isthmus.controller.config.VirtualService;
import io.isthmus.mesh.OutboundName;
import java.util.List;
import java.util.function.Function;

/**
 * The TCP proxy of a service's TCP port on a sidecar: to the service's cluster, or where the first matching {@code tcp}
 * route of its VirtualService sends (one destination: its cluster; several: Envoy's {@code weighted_clusters}, the
 * destinations with weight 0 left out, as Istio). The stat prefix stays the service's own cluster.
 */
final class TcpRoutes {

    private TcpRoutes() {
    }

    /**
     * @param host the service hostname
     * @param port its TCP port P
     * @param portsOf the port numbers of a destination host (a destination without a port goes to its only port, else P)
     */
    static TcpProxy tcpProxy(MeshConfig cfg, String host, int port, Function<String, List<Integer>> portsOf) {
        String own = OutboundName.of(host, port).clusterName();
        TcpProxy.Builder tcp = TcpProxy.newBuilder().setStatPrefix(own);
        List<VirtualService.RouteDestination> dests = cfg.virtualServicesFor(host).stream().findFirst()
                .map(vs -> vs.tcpRouteFor(port)).orElse(List.of())
                .stream().filter(d -> d.weight() > 0).toList();
        if (dests.isEmpty()) {
            return tcp.setCluster(own).build();
        }
        if (dests.size() == 1) {
            return tcp.setCluster(RouteTranslator.nameOf(dests.get(0).destination(), port, portsOf).clusterName()).build();
        }
        TcpProxy.WeightedCluster.Builder w = TcpProxy.WeightedCluster.newBuilder();
        for (VirtualService.RouteDestination d : dests) {
            w.addClusters(TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
                    .setName(RouteTranslator.nameOf(d.destination(), port, portsOf).clusterName()).setWeight(d.weight()));
        }
        return tcp.setWeightedClusters(w).build();
    }
}
