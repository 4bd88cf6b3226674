package io.isthmus.gateway;

import io.isthmus.gateway.listener.PassthroughOptions;
import io.isthmus.sidecar.SidecarConfig;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Everything {@link EastWestGateway#start(GatewayConfig)} needs: the proxy settings it shares with
 * the sidecar (bootstrap, certificates, admin/health/metrics ports; mode forced to router), the
 * passthrough listener's settings, and fixed server-name routes.
 *
 * @param proxy bootstrap, certificate and admin settings, as for {@code isthmus proxy}
 * @param passthrough the 15443 listener
 * @param fixedRoutes exact server name to address, passed without a mesh lookup: the controller's
 *     xDS/CA port for clusters without a controller, e.g.
 *     {@code isthmus-controller.isthmus-system.svc -> 10.2.0.1:15012}; empty by default
 */
public record GatewayConfig(SidecarConfig proxy, PassthroughOptions passthrough, Map<String, InetSocketAddress> fixedRoutes) {

    /** The server name under which remote proxies reach the controller (its serving certificate's DNS SAN). */
    public static final String CONTROLLER_SNI = "isthmus-controller.isthmus-system.svc";

    public GatewayConfig {
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(passthrough, "passthrough");
        Map<String, InetSocketAddress> lower = new java.util.HashMap<>();
        fixedRoutes.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), Objects.requireNonNull(v, "address of " + k)));
        fixedRoutes = Map.copyOf(lower);
        if (proxy.mode() != SidecarConfig.Mode.ROUTER) {
            throw new IllegalArgumentException("proxy.mode must be ROUTER for a gateway, got " + proxy.mode());
        }
    }

    /** A config with no fixed routes. */
    public static GatewayConfig of(SidecarConfig proxy, PassthroughOptions passthrough) {
        return new GatewayConfig(proxy, passthrough, Map.of());
    }

    /** The same config with the controller reachable through the gateway at {@code controller}. */
    public GatewayConfig withControllerPassthrough(InetSocketAddress controller) {
        Map<String, InetSocketAddress> routes = new java.util.HashMap<>(fixedRoutes);
        routes.put(CONTROLLER_SNI, controller);
        return new GatewayConfig(proxy, passthrough, routes);
    }
}
