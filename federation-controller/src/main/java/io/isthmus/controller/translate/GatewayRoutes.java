package io.isthmus.controller.translate;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.isthmus.controller.config.Gateway;
import io.isthmus.controller.config.MeshConfig;
import io.isthmus.controller.config.VirtualService;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.mesh.OutboundName;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * RDS of ingress and egress gateways: the route configuration of a set of Gateway servers (all
 * HTTP servers of a port, {@code http.P}; one HTTPS server, {@code https.P.<portName>.<gw>.<ns>}),
 * one virtual host {@code <host>:P} per VirtualService host bound to a server, with the
 * VirtualService's {@code http} routes that apply at that Gateway and port, translated as for
 * sidecars. {@code httpsRedirect} servers' virtual hosts require TLS.
 */
final class GatewayRoutes {

    /** A server of a Gateway. */
    record Bound(Gateway gateway, Gateway.Server server) {
        String namespace() {
            return gateway.ref().namespace();
        }

        String name() {
            return gateway.ref().name();
        }
    }

    private GatewayRoutes() {
    }

    /** Name of the route configuration of the HTTP servers of port P. */
    static String httpName(int port) {
        return "http." + port;
    }

    /** Name of the route configuration of one HTTPS server. */
    static String httpsName(Bound b) {
        return "https." + b.server().port().number() + "." + b.server().port().name() + "." + b.name() + "." + b.namespace();
    }

    /**
     * The route configuration of some servers of port P, first server and VirtualService (by
     * namespace and name) winning a host they share.
     */
    static RouteConfiguration build(String name, int port, List<Bound> servers, MeshConfig cfg,
            Map<String, FederatedService> services) {
        Map<String, VirtualHost> hosts = new LinkedHashMap<>();
        for (Bound b : servers) {
            for (VirtualService vs : cfg.all(VirtualService.class)) {
                if (!vs.boundTo(b.namespace(), b.name())) {
                    continue;
                }
                VirtualService scoped = withPorts(vs.forGateway(b.namespace(), b.name(), port), port, services);
                if (scoped.http().isEmpty()) {
                    continue;
                }
                for (String vsHost : vs.hosts()) {
                    for (String host : hostsFor(b, vs.ref().namespace(), vsHost)) {
                        // a domain may be in one virtual host only (else the whole route configuration is refused)
                        if (hosts.containsKey(host.toLowerCase(java.util.Locale.ROOT))) {
                            continue;
                        }
                        VirtualHost.Builder vh = VirtualHost.newBuilder()
                                .setName(host + ":" + port)
                                .addAllDomains(host.equals("*") ? List.of("*") : List.of(host, host + ":" + port))
                                .addAllRoutes(RouteTranslator.routes(scoped, port, h -> List.of(),
                                        cfg.settings().defaultHttpRetryPolicy(),
                                        ConsistentHashTranslator.forProxy(cfg, b.namespace())));
                        if (b.server().httpsRedirect()) {
                            vh.setRequireTls(VirtualHost.TlsRequirementType.ALL);
                        }
                        hosts.put(host.toLowerCase(java.util.Locale.ROOT), vh.build());
                    }
                }
            }
        }
        return RouteConfiguration.newBuilder()
                .setName(name)
                .setValidateClusters(com.google.protobuf.BoolValue.of(false))
                .addAllVirtualHosts(hosts.values())
                .build();
    }

    /**
     * The virtual host names a VirtualService host gets on a server: itself when a server host
     * covers it, else the server hosts it covers (a {@code *} VirtualService on named servers).
     */
    static List<String> hostsFor(Bound b, String vsNamespace, String vsHost) {
        List<String> out = new ArrayList<>();
        for (Gateway.ServerHost h : b.server().hosts()) {
            if (h.accepts(vsNamespace, b.namespace(), vsHost)) {
                String name = h.covers(vsHost) ? vsHost : h.host();
                if (!out.contains(name)) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    /**
     * The VirtualService with every destination (and mirror) that names no port set to its service's only port
     * (else to the gateway port P, as Istio requires a port for multi-port services).
     */
    static VirtualService withPorts(VirtualService vs, int port, Map<String, FederatedService> services) {
        List<VirtualService.HttpRoute> http = new ArrayList<>();
        for (VirtualService.HttpRoute r : vs.http()) {
            http.add(r.withDestinations(d -> withPort(d, port, services)));
        }
        return new VirtualService(vs.ref(), vs.hosts(), vs.gateways(), http, vs.tls());
    }

    static VirtualService.Destination withPort(VirtualService.Destination d, int port, Map<String, FederatedService> services) {
        if (d.port() != 0) {
            return d;
        }
        Optional<FederatedService> s = Optional.ofNullable(services.get(d.host()));
        int only = s.map(FederatedService::ports).filter(p -> p.size() == 1).map(p -> p.get(0)).map(ServicePort::port)
                .orElse(port);
        return new VirtualService.Destination(d.host(), d.subset(), only);
    }

    /** The cluster of a destination: {@code outbound|<port>|<subset>|<host>}. */
    static String clusterOf(VirtualService.Destination d) {
        return new OutboundName(d.port(), d.subset(), d.host()).clusterName();
    }
}
