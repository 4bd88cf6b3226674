package io.isthmus.controller.translate;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.isthmus.controller.config.StringMatch;
import io.isthmus.controller.config.VirtualService;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.mesh.OutboundName;
import io.isthmus.mesh.XdsNames;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.Set;

/**
 * RDS: the outbound route configuration {@code "P"} of a port, one virtual host per service on it
 * (domains: the hostname, its short forms, the service's VIPs for the proxy's cluster and their
 * {@code :P} forms) with a default route to
 * {@code outbound|P||host} and the mesh's default retry policy (MeshConfig {@code defaultHttpRetryPolicy}, else
 * Istio's) and the hash policy of its DestinationRule's consistent hash; VirtualService routes for {@code mesh} in its
 * place (their faults as the per-route config of {@code envoy.filters.http.fault}, CORS policies as that of
 * {@code envoy.filters.http.cors}, rewrites as {@code prefix_rewrite} / {@code host_rewrite_literal}, mirrors as
 * {@code request_mirror_policies}), and the {@code block_all} catch-all under REGISTRY_ONLY.
 */
public final class RouteTranslator {
    /** Name of the REGISTRY_ONLY catch-all virtual host and its route. */
    public static final String BLOCK_ALL = "block_all";
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
        return outbound(port, services, proxyNamespace, host -> Optional.empty());
    }

    /**
     * The route configuration of one outbound port, with the VirtualService of each host (when one
     * applies) in place of the default route.
     *
     * @param virtualServiceFor the mesh VirtualService of a hostname, if any
     */
    public RouteConfiguration outbound(int port, List<FederatedService> services, String proxyNamespace,
            Function<String, Optional<VirtualService>> virtualServiceFor) {
        return outbound(port, services, proxyNamespace, virtualServiceFor, host -> List.of(), false);
    }

    /**
     * The route configuration of one outbound port of a sidecar. A host's VirtualService contributes
     * only its {@code http} routes whose {@code match.gateways} is empty or names {@code mesh} (and
     * whose {@code match.port} is empty or P); when none is left the host keeps the default route.
     * With {@code registryOnly} the configuration ends with the virtual host {@link #BLOCK_ALL}, which
     * answers every other authority with 502.
     *
     * @param virtualServiceFor the mesh VirtualService of a hostname, if any
     * @param portsOf the port numbers of a destination host (a destination without {@code port} goes
     *     to the host's only port, else to P)
     * @param registryOnly whether the proxy's outbound traffic policy is REGISTRY_ONLY
     */
    public RouteConfiguration outbound(int port, List<FederatedService> services, String proxyNamespace,
            Function<String, Optional<VirtualService>> virtualServiceFor, Function<String, List<Integer>> portsOf,
            boolean registryOnly) {
        return outbound(port, services, proxyNamespace, virtualServiceFor, portsOf, registryOnly, s -> List.of());
    }

    /**
     * The route configuration of one outbound port of a sidecar, each service's virtual host also
     * answering to its VIPs as the proxy sees them ({@code <vip>} and {@code <vip>:P}, as Istio's
     * {@code generateVirtualHostDomains}), so that a call to a ClusterIP with the IP itself as Host
     * is routed to the service.
     *
     * @param vipsOf the VIPs of a service for this proxy ({@link ServiceVips#forProxy})
     */
    public RouteConfiguration outbound(int port, List<FederatedService> services, String proxyNamespace,
            Function<String, Optional<VirtualService>> virtualServiceFor, Function<String, List<Integer>> portsOf,
            boolean registryOnly, Function<FederatedService, List<String>> vipsOf) {
        return outbound(port, services, proxyNamespace, virtualServiceFor, portsOf, registryOnly, vipsOf, Optional.empty());
    }

    /**
     * The route configuration of one outbound port of a sidecar, with the mesh-wide retry policy in place of Istio's
     * default wherever a route sets none.
     *
     * @param meshRetries MeshConfig's {@code defaultHttpRetryPolicy}, empty = Istio's default policy
     */
    public RouteConfiguration outbound(int port, List<FederatedService> services, String proxyNamespace,
            Function<String, Optional<VirtualService>> virtualServiceFor, Function<String, List<Integer>> portsOf,
            boolean registryOnly, Function<FederatedService, List<String>> vipsOf, Optional<VirtualService.Retries> meshRetries) {
        return outbound(port, services, proxyNamespace, virtualServiceFor, portsOf, registryOnly, vipsOf, meshRetries,
                name -> List.of());
    }

    /**
     * The route configuration of one outbound port of a sidecar, each route to a cluster whose DestinationRule asks
     * for a consistent hash carrying its {@code hash_policy}.
     *
     * @param hashOf the hash policy of the routes to a cluster ({@link ConsistentHashTranslator#forProxy}), empty = none
     */
    public RouteConfiguration outbound(int port, List<FederatedService> services, String proxyNamespace,
            Function<String, Optional<VirtualService>> virtualServiceFor, Function<String, List<Integer>> portsOf,
            boolean registryOnly, Function<FederatedService, List<String>> vipsOf, Optional<VirtualService.Retries> meshRetries,
            Function<OutboundName, List<RouteAction.HashPolicy>> hashOf) {
        RouteConfiguration.Builder rc = RouteConfiguration.newBuilder()
                .setName(XdsNames.outboundRoute(port))
                .setValidateClusters(com.google.protobuf.BoolValue.of(false));
        Set<String> taken = new java.util.HashSet<>();
        for (FederatedService s : services) {
            OutboundName dest = OutboundName.of(s.hostname(), port);
            // a domain belongs to one virtual host only (Envoy rejects duplicates): the first service keeps it,
            // as Istio does when two services share a VIP
            // the upstream sees which attempt it serves (x-envoy-attempt-count), as under Istio
            VirtualHost.Builder vh = VirtualHost.newBuilder()
                    .setName(s.hostname() + ":" + port)
                    .setIncludeRequestAttemptCount(true)
                    .addAllDomains(domains(s, port, proxyNamespace, vipsOf.apply(s)).stream().filter(taken::add).toList());
            Optional<VirtualService> vs = virtualServiceFor.apply(s.hostname())
                    .map(v -> v.forGateway("", VirtualService.MESH, port));
            if (vs.isPresent() && !vs.get().http().isEmpty()) {
                vh.addAllRoutes(routes(vs.get(), port, portsOf, meshRetries, hashOf));
            } else {
                Route.Builder route = defaultRoute(dest.clusterName(), retryPolicy(Optional.empty(), meshRetries)).toBuilder();
                route.getRouteBuilder().addAllHashPolicy(hashOf.apply(dest));
                vh.addRoutes(route);
            }
            rc.addVirtualHosts(vh);
        }
        if (registryOnly) {
            rc.addVirtualHosts(blockAll());
        }
        return rc.build();
    }

    /**
     * The catch-all of REGISTRY_ONLY: virtual host {@code block_all}, domains {@code *}, one route
     * {@code prefix /} answered by the proxy itself with 502.
     */
    public static VirtualHost blockAll() {
        return VirtualHost.newBuilder()
                .setName(BLOCK_ALL)
                .addDomains("*")
                .addRoutes(Route.newBuilder()
                        .setName(BLOCK_ALL)
                        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                        .setDirectResponse(DirectResponseAction.newBuilder().setStatus(502)))
                .build();
    }

    /** The Envoy routes of a VirtualService's HTTP routes on port P, first match wins. */
    static List<Route> routes(VirtualService vs, int port) {
        return routes(vs, port, host -> List.of(), Optional.empty());
    }

    /**
     * The Envoy routes of a VirtualService's HTTP routes on port P, first match wins; a destination
     * without a port goes to its host's only port ({@code portsOf}), else to P; a route without {@code retries}
     * gets the mesh's ({@code meshRetries}, else Istio's default).
     */
    static List<Route> routes(VirtualService vs, int port, Function<String, List<Integer>> portsOf,
            Optional<VirtualService.Retries> meshRetries) {
        return routes(vs, port, portsOf, meshRetries, name -> List.of());
    }

    /**
     * The Envoy routes of a VirtualService's HTTP routes on port P, as {@link #routes(VirtualService, int, Function,
     * Optional)}, with the hash policy of their destination's consistent hash ({@code hashOf}): a route's only
     * destination's, or its destinations' when they all have the same one.
     */
    static List<Route> routes(VirtualService vs, int port, Function<String, List<Integer>> portsOf,
            Optional<VirtualService.Retries> meshRetries, Function<OutboundName, List<RouteAction.HashPolicy>> hashOf) {
        List<Route> out = new ArrayList<>();
        for (int i = 0; i < vs.http().size(); i++) {
            VirtualService.HttpRoute r = vs.http().get(i);
            String name = r.name().isEmpty() ? vs.ref().namespace() + "." + vs.ref().name() + "." + i : r.name();
            List<RouteMatch> matches = r.match().isEmpty() ? List.of(RouteMatch.newBuilder().setPrefix("/").build())
                    : r.match().stream().map(RouteTranslator::match).toList();
            Optional<com.google.protobuf.Any> fault = r.fault().map(f -> Envoy.any(fault(f)));
            Route.Builder template = Route.newBuilder().setName(name);
            if (r.directResponse().isPresent()) {
                VirtualService.DirectResponse d = r.directResponse().get();
                DirectResponseAction.Builder direct = DirectResponseAction.newBuilder().setStatus(d.status());
                if (!d.body().isEmpty()) {
                    direct.setBody(io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder().setInlineString(d.body()));
                }
                template.setDirectResponse(direct);
            } else if (r.redirect().isPresent()) {
                template.setRedirect(redirect(r.redirect().get(), port));
            } else {
                template.setRoute(action(r, port, portsOf, meshRetries, hashOf));
            }
            fault.ifPresent(f -> template.putTypedPerFilterConfig(Envoy.FAULT, f));
            r.cors().ifPresent(c -> template.putTypedPerFilterConfig(Envoy.CORS, Envoy.any(CorsTranslator.policy(c))));
            HeaderTranslator.toRoute(r, template);
            for (RouteMatch m : matches) {
                out.add(template.clone().setMatch(m).build());
            }
        }
        return out;
    }

    private static RouteAction action(VirtualService.HttpRoute r, int port, Function<String, List<Integer>> portsOf,
            Optional<VirtualService.Retries> meshRetries, Function<OutboundName, List<RouteAction.HashPolicy>> hashOf) {
        RouteAction.Builder a = RouteAction.newBuilder();
        List<VirtualService.RouteDestination> dests = r.route().stream().filter(d -> d.weight() > 0).toList();
        if (dests.isEmpty()) {
            dests = r.route();
        }
        java.util.Set<List<RouteAction.HashPolicy>> hashes = new java.util.HashSet<>();
        for (VirtualService.RouteDestination d : dests) {
            hashes.add(hashOf.apply(nameOf(d.destination(), port, portsOf)));
        }
        if (hashes.size() == 1) {
            a.addAllHashPolicy(hashes.iterator().next());
        }
        if (dests.size() == 1) {
            a.setCluster(clusterOf(dests.get(0).destination(), port, portsOf));
        } else {
            WeightedCluster.Builder w = WeightedCluster.newBuilder();
            for (VirtualService.RouteDestination d : dests) {
                WeightedCluster.ClusterWeight.Builder cw = WeightedCluster.ClusterWeight.newBuilder()
                        .setName(clusterOf(d.destination(), port, portsOf))
                        .setWeight(UInt32Value.of(d.weight()));
                HeaderTranslator.toClusterWeight(d.headers(), cw);
                w.addClusters(cw);
            }
            a.setWeightedClusters(w);
        }
        a.setTimeout(r.timeout().map(RouteTranslator::protoDuration).orElse(com.google.protobuf.Duration.getDefaultInstance()));
        RetryPolicy retry = retryPolicy(r.retries(), meshRetries);
        if (retry != null) {
            a.setRetryPolicy(retry);
        }
        r.rewrite().ifPresent(rw -> {
            if (!rw.uri().isEmpty()) {
                a.setPrefixRewrite(rw.uri());
            }
            rw.uriRegex().ifPresent(x -> a.setRegexRewrite(io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute.newBuilder()
                    .setPattern(RegexMatcher.newBuilder().setRegex(x.match())).setSubstitution(x.rewrite())));
            if (!rw.authority().isEmpty()) {
                a.setHostRewriteLiteral(rw.authority());
            }
        });
        r.headers().authority().ifPresent(a::setHostRewriteLiteral);
        for (VirtualService.Mirror m : r.mirrors()) {
            a.addRequestMirrorPolicies(RouteAction.RequestMirrorPolicy.newBuilder()
                    .setCluster(clusterOf(m.destination(), port, portsOf))
                    .setRuntimeFraction(RuntimeFractionalPercent.newBuilder().setDefaultValue(perMillion(m.percent()))));
        }
        return a.build();
    }

    /** Envoy's {@code RedirectAction} of a route's Istio redirect on port P, as Istio builds it. */
    static RedirectAction redirect(VirtualService.Redirect r, int port) {
        RedirectAction.Builder a = RedirectAction.newBuilder().setHostRedirect(r.authority());
        if (!r.uri().isEmpty()) {
            a.setPathRedirect(r.uri());
        }
        if (!r.scheme().isEmpty()) {
            a.setSchemeRedirect(r.scheme());
        }
        if (r.port() > 0) {
            a.setPortRedirect(r.port());
        } else if (r.fromRequestPort()) {
            a.setPortRedirect(port); // routes are built per port, so the request's port is P
        }
        a.setResponseCode(switch (r.code()) {
            case 302 -> RedirectAction.RedirectResponseCode.FOUND;
            case 303 -> RedirectAction.RedirectResponseCode.SEE_OTHER;
            case 307 -> RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT;
            case 308 -> RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT;
            default -> RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY;
        });
        return a.build();
    }

    /** Envoy's {@code HTTPFault} of a route's Istio fault, as Istio builds it (percentages per million). */
    static HTTPFault fault(VirtualService.Fault f) {
        HTTPFault.Builder h = HTTPFault.newBuilder();
        f.delay().ifPresent(d -> h.setDelay(FaultDelay.newBuilder()
                .setFixedDelay(protoDuration(d.fixedDelay()))
                .setPercentage(perMillion(d.percent()))));
        f.abort().ifPresent(a -> h.setAbort(FaultAbort.newBuilder()
                .setHttpStatus(a.httpStatus())
                .setPercentage(perMillion(a.percent()))));
        return h.build();
    }

    /** A percentage (0..100, fractions allowed) as Envoy's fraction per million. */
    static FractionalPercent perMillion(double percent) {
        return FractionalPercent.newBuilder()
                .setNumerator((int) Math.round(percent * 10_000))
                .setDenominator(FractionalPercent.DenominatorType.MILLION)
                .build();
    }

    /**
     * The Envoy retry policy of a route, as Istio builds it: the route's own {@code retries}, else the mesh's
     * ({@code defaultHttpRetryPolicy}), else {@link #defaultRetryPolicy()}; a policy given is the default with its
     * {@code attempts}, {@code retryOn} and {@code perTryTimeout} in place.
     *
     * @return the policy, or null when the policy that applies has {@code attempts: 0} (no retries)
     */
    static RetryPolicy retryPolicy(Optional<VirtualService.Retries> route, Optional<VirtualService.Retries> mesh) {
        Optional<VirtualService.Retries> given = route.isPresent() ? route : mesh;
        if (given.isEmpty()) {
            return defaultRetryPolicy();
        }
        VirtualService.Retries vr = given.get();
        if (vr.attempts() <= 0) {
            return null;
        }
        RetryPolicy.Builder p = defaultRetryPolicy().toBuilder().setNumRetries(UInt32Value.of(vr.attempts()));
        if (!vr.retryOn().isEmpty()) {
            p.setRetryOn(vr.retryOn());
            if (!vr.retryOn().contains("retriable-status-codes")) {
                p.clearRetriableStatusCodes();
            }
        }
        vr.perTryTimeout().ifPresent(t -> p.setPerTryTimeout(protoDuration(t)));
        return p.build();
    }

    private static String clusterOf(VirtualService.Destination d, int port, Function<String, List<Integer>> portsOf) {
        return nameOf(d, port, portsOf).clusterName();
    }

    /** The outbound cluster of a destination: its port, else its host's only port, else P. */
    static OutboundName nameOf(VirtualService.Destination d, int port, Function<String, List<Integer>> portsOf) {
        int p = d.port();
        if (p == 0) {
            List<Integer> ports = portsOf.apply(d.host());
            p = ports.size() == 1 ? ports.get(0) : port;
        }
        return new OutboundName(p, d.subset(), d.host());
    }

    private static RouteMatch match(VirtualService.HttpMatch m) {
        RouteMatch.Builder b = RouteMatch.newBuilder();
        if (m.uri().isEmpty()) {
            b.setPrefix("/");
        } else {
            StringMatch u = m.uri().get();
            switch (u.kind()) {
                case EXACT -> b.setPath(u.value());
                case PREFIX -> b.setPrefix(u.value());
                case REGEX -> b.setSafeRegex(RegexMatcher.newBuilder().setRegex(u.value()));
            }
        }
        m.headers().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .forEach(e -> b.addHeaders(header(e.getKey(), e.getValue())));
        m.method().ifPresent(x -> b.addHeaders(header(":method", x)));
        return b.build();
    }

    private static HeaderMatcher header(String name, StringMatch v) {
        StringMatcher.Builder sm = StringMatcher.newBuilder();
        switch (v.kind()) {
            case EXACT -> sm.setExact(v.value());
            case PREFIX -> sm.setPrefix(v.value());
            case REGEX -> sm.setSafeRegex(RegexMatcher.newBuilder().setRegex(v.value()));
        }
        return HeaderMatcher.newBuilder().setName(name).setStringMatch(sm).build();
    }

    private static com.google.protobuf.Duration protoDuration(java.time.Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
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
                        .addRoutes(defaultRoute(OutboundName.of(service.hostname(), port).clusterName(), null)))
                .build();
    }

    /**
     * The domains a service answers to on a port: {@code reviews.default.svc.cluster.local},
     * {@code reviews.default.svc}, {@code reviews.default}, and {@code reviews} when the proxy is in
     * the service's namespace, each also with {@code :P}.
     */
    public static List<String> domains(FederatedService s, int port, String proxyNamespace) {
        return domains(s, port, proxyNamespace, List.of());
    }

    /** The domains of {@link #domains(FederatedService, int, String)}, then each VIP and {@code <vip>:P}. */
    public static List<String> domains(FederatedService s, int port, String proxyNamespace, List<String> vips) {
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
        for (String vip : vips) {
            names.add(ServiceVips.domain(vip));
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

    /** The route {@code default}: every path to one cluster, no timeout, with {@code retry} unless it is null. */
    static Route defaultRoute(String cluster, RetryPolicy retry) {
        RouteAction.Builder action = RouteAction.newBuilder()
                .setCluster(cluster)
                .setTimeout(com.google.protobuf.Duration.getDefaultInstance());
        if (retry != null) {
            action.setRetryPolicy(retry);
        }
        return Route.newBuilder()
                .setName("default")
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(action)
                .build();
    }

}
