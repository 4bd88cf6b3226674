package io.isthmus.controller.translate;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.mesh.OutboundName;
import io.isthmus.mesh.XdsNames;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * RDS: the outbound route configuration {@code "P"} of a port, one virtual host per service on it
 * (domains: the hostname, its short forms and their {@code :P} forms) with a default route to
 * {@code outbound|P||host} and the mesh's default retry policy.
 */
public final class RouteTranslator {
    /** Retried conditions of the default policy. */
    public static final String RETRY_ON = "connect-failure,refused-stream,reset,unavailable,cancelled,retriable-status-codes";

    /**
     * The route configuration of one outbound port for a sidecar.
     *
     * @param port the service port P
     * @param services the services with an HTTP port P, in hostname order
     * @param proxyNamespace the proxy's namespace: only services of it get the bare short name
     */
    public RouteConfiguration outbound(int port, List<FederatedService> services, String proxyNamespace) {
        RouteConfiguration.Builder rc = RouteConfiguration.newBuilder()
                .setName(XdsNames.outboundRoute(port))
                .setValidateClusters(com.google.protobuf.BoolValue.of(false));
        for (FederatedService s : services) {
            OutboundName dest = OutboundName.of(s.hostname(), port);
            rc.addVirtualHosts(VirtualHost.newBuilder()
                    .setName(s.hostname() + ":" + port)
                    .addAllDomains(domains(s, port, proxyNamespace))
                    .addRoutes(defaultRoute(dest.clusterName(), true)));
        }
        return rc.build();
    }

    /** A route configuration for a proxyless gRPC client, named and matched by {@code host:port}. */
    public RouteConfiguration grpc(FederatedService service, int port) {
        String name = service.hostname() + ":" + port;
        return RouteConfiguration.newBuilder()
                .setName(name)
                .addVirtualHosts(VirtualHost.newBuilder()
                        .setName(name)
                        .addDomains(name)
                        .addDomains(service.hostname())
                        .addRoutes(defaultRoute(OutboundName.of(service.hostname(), port).clusterName(), false)))
                .build();
    }

    /**
     * The domains a service answers to on a port: {@code reviews.default.svc.cluster.local},
     * {@code reviews.default.svc}, {@code reviews.default}, and {@code reviews} when the proxy is in
     * the service's namespace, each also with {@code :P}.
     */
    public static List<String> domains(FederatedService s, int port, String proxyNamespace) {
        Set<String> names = new LinkedHashSet<>();
        names.add(s.hostname());
        String suffix = "." + s.namespace() + ".svc.";
        int at = s.hostname().indexOf(suffix);
        if (at > 0 && s.hostname().startsWith(s.name() + ".")) {
            String svc = s.name() + "." + s.namespace() + ".svc";
            names.add(svc);
            names.add(s.name() + "." + s.namespace());
            if (s.namespace().equals(proxyNamespace)) {
                names.add(s.name());
            }
        }
        List<String> out = new ArrayList<>();
        for (String n : names) {
            out.add(n);
            out.add(n + ":" + port);
        }
        return out;
    }

    /** The mesh's default retry policy (the contract of the sidecar). */
    public static RetryPolicy defaultRetryPolicy() {
        return RetryPolicy.newBuilder()
                .setRetryOn(RETRY_ON)
                .addRetriableStatusCodes(503)
                .setNumRetries(UInt32Value.of(2))
                .addRetryHostPredicate(RetryPolicy.RetryHostPredicate.newBuilder()
                        .setName("envoy.retry_host_predicates.previous_hosts")
                        .setTypedConfig(Envoy.any(PreviousHostsPredicate.getDefaultInstance())))
                .setHostSelectionRetryMaxAttempts(5)
                .build();
    }

    static Route defaultRoute(String cluster, boolean withRetries) {
        RouteAction.Builder action = RouteAction.newBuilder()
                .setCluster(cluster)
                .setTimeout(com.google.protobuf.Duration.getDefaultInstance());
        if (withRetries) {
            action.setRetryPolicy(defaultRetryPolicy());
        }
        return Route.newBuilder()
                .setName("default")
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(action)
                .build();
    }

}
