package io.isthmus.gateway.xds;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.mesh.Locality;
import io.isthmus.sidecar.xds.XdsResourceException;
import io.isthmus.sidecar.xds.XdsResourceType;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates a {@code ClusterLoadAssignment} into the endpoints the gateway may pass to: only
 * endpoints whose health is HEALTHY, UNKNOWN or DEGRADED; addresses must be IP literals (the
 * gateway never resolves names a control plane sends).
 */
public final class EndpointsTranslator {

    private EndpointsTranslator() {
    }

    /**
     * The usable endpoints of one assignment.
     *
     * @throws XdsResourceException naming the field when an address, port, priority or weight is invalid
     */
    public static List<GatewayEndpoint> translate(ClusterLoadAssignment cla) {
        String name = cla.getClusterName();
        List<GatewayEndpoint> out = new ArrayList<>();
        for (int i = 0; i < cla.getEndpointsCount(); i++) {
            LocalityLbEndpoints group = cla.getEndpoints(i);
            int priority = group.getPriority();
            if (priority < 0 || priority > 128) {
                throw invalid(name, "endpoints[" + i + "].priority", "must be 0 to 128, got " + Integer.toUnsignedString(priority));
            }
            Locality locality = new Locality(group.getLocality().getRegion(), group.getLocality().getZone(),
                    group.getLocality().getSubZone());
            for (int j = 0; j < group.getLbEndpointsCount(); j++) {
                LbEndpoint lb = group.getLbEndpoints(j);
                String field = "endpoints[" + i + "].lb_endpoints[" + j + "].endpoint.address.socket_address";
                if (!lb.hasEndpoint() || !lb.getEndpoint().getAddress().hasSocketAddress()) {
                    throw invalid(name, field, "only socket addresses are supported");
                }
                SocketAddress sa = lb.getEndpoint().getAddress().getSocketAddress();
                byte[] ip = NetUtil.createByteArrayFromIpAddressString(sa.getAddress());
                if (ip == null) {
                    throw invalid(name, field + ".address", "'" + sa.getAddress() + "' is not an IP address");
                }
                int port = sa.getPortValue();
                if (port < 1 || port > 65535) {
                    throw invalid(name, field + ".port_value", "port " + port + " out of range 1..65535");
                }
                if (!usable(lb.getHealthStatus())) {
                    continue;
                }
                int weight = lb.hasLoadBalancingWeight() ? lb.getLoadBalancingWeight().getValue() : 1;
                if (weight < 0) {
                    throw invalid(name, "endpoints[" + i + "].lb_endpoints[" + j + "].load_balancing_weight",
                            "too large: " + Integer.toUnsignedString(weight));
                }
                weight = Math.max(1, weight);
                try {
                    out.add(new GatewayEndpoint(new InetSocketAddress(InetAddress.getByAddress(ip), port), locality,
                            priority, weight));
                } catch (UnknownHostException e) {
                    throw invalid(name, field + ".address", e.getMessage());
                }
            }
        }
        return List.copyOf(out);
    }

    private static boolean usable(HealthStatus status) {
        return status == HealthStatus.HEALTHY || status == HealthStatus.UNKNOWN || status == HealthStatus.DEGRADED;
    }

    private static XdsResourceException invalid(String cluster, String field, String reason) {
        return new XdsResourceException(XdsResourceType.ENDPOINT.typeUrl(), cluster, field, reason);
    }
}
