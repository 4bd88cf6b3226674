package io.isthmus.controller.translate;

import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.FederatedService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The ClusterIPs (VIPs) of a service as one proxy sees them, as Istio's
 * {@code Service.GetAllAddressesForProxy}: the ClusterIPs of the Service in the proxy's own cluster
 * (none when it is headless); when the proxy's cluster has no Service of that name, the service's
 * default address, the primary ClusterIP of the first cluster that has one (clusters in name order;
 * Istio takes the first registry's). A ServiceEntry's service has the same VIPs in every cluster:
 * its {@code addresses} that are single IPs ({@link io.isthmus.controller.config.ServiceEntry#vips()}).
 * Then only the address families the proxy has (its
 * {@code INSTANCE_IPS}; a proxy that names none keeps every family).
 */
public final class ServiceVips {

    private ServiceVips() {
    }

    /** The VIPs of {@code service} for a proxy of cluster {@code proxyCluster} with addresses {@code proxyIps}. */
    public static List<String> forProxy(FederatedService service, String proxyCluster, List<String> proxyIps) {
        Map<String, ClusterService> clusters = service.clusters();
        List<String> vips;
        ClusterService own = proxyCluster.isEmpty() ? null : clusters.get(proxyCluster);
        ClusterService first = clusters.isEmpty() ? null : clusters.values().iterator().next();
        if (first != null && first.cluster().startsWith(ServiceEntryServices.CLUSTER_PREFIX)) {
            vips = first.vips();
        } else if (own != null) {
            vips = own.vips();
        } else {
            vips = first == null || first.vips().isEmpty() ? List.of() : List.of(first.vips().get(0));
        }
        if (vips.isEmpty() || proxyIps.isEmpty()) {
            return vips;
        }
        boolean v4 = proxyIps.stream().anyMatch(ip -> !isIpv6(ip));
        boolean v6 = proxyIps.stream().anyMatch(ServiceVips::isIpv6);
        List<String> out = new ArrayList<>(vips.size());
        for (String vip : vips) {
            if (isIpv6(vip) ? v6 : v4) {
                out.add(vip);
            }
        }
        return out;
    }

    /** The virtual-host domain of an address: IPv6 literals in brackets, as Envoy matches a Host header. */
    public static String domain(String vip) {
        return isIpv6(vip) ? "[" + vip + "]" : vip;
    }

    private static boolean isIpv6(String ip) {
        return ip.indexOf(':') >= 0;
    }
}
