package io.isthmus.gateway.route;

import io.isthmus.gateway.RefusalReason;
import io.isthmus.mesh.OutboundName;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides where a server name may go: a fixed route (such as the controller's xDS/CA port for
 * remote clusters) by exact name, else a mesh name {@code outbound_.<port>_.<subset>_.<host>} whose
 * cluster the {@link PassthroughTable} knows. Everything else is refused, so the gateway never
 * relays to an address a client chooses.
 */
public final class SniRouter {

    private final PassthroughTable table;
    private final Map<String, InetSocketAddress> fixedRoutes;

    /**
     * @param table the mesh services of this network
     * @param fixedRoutes exact server name (lower case) to address, e.g.
     *     {@code isthmus-controller.isthmus-system.svc} to the controller's 15012; may be empty
     */
    public SniRouter(PassthroughTable table, Map<String, InetSocketAddress> fixedRoutes) {
        this.table = Objects.requireNonNull(table, "table");
        this.fixedRoutes = Map.copyOf(fixedRoutes);
    }

    /** True when {@code serverName} has a fixed route, which needs no table. */
    public boolean fixed(String serverName) {
        return fixedRoutes.containsKey(serverName);
    }

    /** Decides for a server name as the ClientHello parser returned it (lower case). */
    public RouteDecision route(String serverName) {
        if (looksLikeIpAddress(serverName)) {
            return new RouteDecision.Refuse(RefusalReason.SNI_IP_ADDRESS, "server name " + serverName + " is an IP address");
        }
        InetSocketAddress fixed = fixedRoutes.get(serverName);
        if (fixed != null) {
            return new RouteDecision.Pass(serverName, serverName, List.of(GatewayEndpoint.of(fixed)));
        }
        Optional<OutboundName> name = OutboundName.parseSni(serverName);
        if (name.isEmpty()) {
            return new RouteDecision.Refuse(RefusalReason.SNI_NOT_MESH, "server name " + serverName + " is no mesh name");
        }
        String cluster = name.get().clusterName();
        Optional<List<GatewayEndpoint>> endpoints = table.endpoints(cluster);
        if (endpoints.isEmpty()) {
            return new RouteDecision.Refuse(RefusalReason.UNKNOWN_SERVICE, "no service " + cluster + " on this network");
        }
        if (endpoints.get().isEmpty()) {
            return new RouteDecision.Refuse(RefusalReason.NO_HEALTHY_ENDPOINT, "no endpoint for " + cluster);
        }
        return new RouteDecision.Pass(name.get().host(), cluster, endpoints.get());
    }

    /** True for dotted-quad IPv4 names (the parser already refuses ':' so IPv6 cannot reach here). */
    static boolean looksLikeIpAddress(String name) {
        String[] parts = name.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                return false;
            }
        }
        return true;
    }
}
