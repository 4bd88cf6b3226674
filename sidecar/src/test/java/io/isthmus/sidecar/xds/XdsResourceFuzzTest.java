package io.isthmus.sidecar.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.isthmus.sidecar.cluster.ClusterTranslator;
import io.isthmus.sidecar.endpoint.EndpointState;
import io.isthmus.sidecar.endpoint.EndpointTranslator;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.listener.ListenerTranslator;
import io.isthmus.sidecar.route.RouteTranslator;
import io.isthmus.sidecar.testing.ProtoMutator;
import io.isthmus.sidecar.testing.Xds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bad xDS resources get a clear answer: each of the four translators is fed thousands of randomly mutated copies of
 * realistic resources (the shapes the controller sends: mTLS listeners with RBAC and fault filters, outbound ones with
 * the CORS filter, SNI chains, a weighted TCP canary, routes with retries, splits, regexes, header mutations, hash
 * policies and CORS policies, EDS clusters with TLS,
 * outlier detection and limits, ring hash and Maglev clusters, Istio's auto mTLS transport socket matches,
 * multi-priority assignments with transport socket labels). Every one must be either accepted or refused with an
 * {@link InvalidResourceException} that names the
 * resource and the field, which the proxy NACKs while it keeps its last good config; any other exception (a
 * NullPointerException, an IllegalArgumentException from a library...) fails the test with the resource that caused
 * it. Seeded, so a failure is reproducible.
 */
class XdsResourceFuzzTest {

    private static final int CASES = Integer.getInteger("fuzz.cases", 10_000);
    private static final long SEED = 0x15_7A_05L;

    @Test
    void mutatedListenersAreAcceptedOrRefusedByField() {
        check("listener", listeners(), m -> ListenerTranslator.translate(m, System::nanoTime));
    }

    @Test
    void mutatedRouteConfigurationsAreAcceptedOrRefusedByField() {
        check("route configuration", List.of(routes()), RouteTranslator::translate);
    }

    @Test
    void mutatedClustersAreAcceptedOrRefusedByField() {
        check("cluster", clusters(), ClusterTranslator::translate);
    }

    @Test
    void mutatedLoadAssignmentsAreAcceptedOrRefusedByField() {
        check("load assignment", List.of(assignment()), m -> EndpointTranslator.translate(m, a -> new EndpointState()));
    }

    private interface Translation<M> {
        void apply(M m) throws InvalidResourceException;
    }

    private static <M extends Message> void check(String kind, List<M> seeds, Translation<M> translation) {
        for (M seed : seeds) {
            try {
                translation.apply(seed);
            } catch (InvalidResourceException e) {
                throw new AssertionError("seed " + kind + " refused: " + e.getMessage(), e);
            }
        }
        Random random = new Random(SEED ^ kind.hashCode());
        ProtoMutator mutator = new ProtoMutator(random, XdsTypeRegistry.registry(), XdsTypeRegistry.typeNames().stream()
                .map(n -> "type.googleapis.com/" + n).sorted().toList());
        Map<String, String> failures = new LinkedHashMap<>();
        int refused = 0;
        for (int i = 0; i < CASES; i++) {
            M mutated = mutator.mutate(seeds.get(random.nextInt(seeds.size())), 1 + random.nextInt(4));
            try {
                translation.apply(mutated);
            } catch (InvalidResourceException e) {
                refused++;
                assertThat(e.reason()).as("the reason of a refusal").isNotBlank();
                assertThat(e.field()).as("the field of a refusal: %s", e.getMessage()).isNotNull();
            } catch (RuntimeException | StackOverflowError e) {
                StackTraceElement top = e.getStackTrace().length == 0 ? null : e.getStackTrace()[0];
                StackTraceElement ours = java.util.Arrays.stream(e.getStackTrace())
                        .filter(f -> f.getClassName().startsWith("io.isthmus.")).findFirst().orElse(null);
                failures.putIfAbsent(e.getClass().getSimpleName() + " at " + top + " from " + ours,
                        e + "\n  for " + shortText(mutated));
            }
        }
        System.out.printf("%s: %d mutated resources, %d refused by field%n", kind, CASES, refused);
        assertThat(failures).as("%s translations that escaped as something else than a refusal by field", kind).isEmpty();
        assertThat(refused).as("mutations of %ss refused (the mutator reaches the checks)", kind).isGreaterThan(CASES / 10);
    }

    private static String shortText(Message m) {
        String s = TextFormat.shortDebugString(m);
        return s.length() > 1500 ? s.substring(0, 1500) + "..." : s;
    }

    // ---- seeds: the shapes of the controller's resources ----

    private static List<Listener> listeners() {
        // the chain's fault filter is empty: a route's typed_per_filter_config says what it injects
        HttpFilter fault = HttpFilter.newBuilder().setName("envoy.filters.http.fault")
                .setTypedConfig(Xds.any(HTTPFault.getDefaultInstance())).build();
        RBAC rules = RBAC.newBuilder().setAction(RBAC.Action.DENY).putPolicies("ns[default]-policy[deny]-rule[0]", Policy.newBuilder()
                .addPermissions(Permission.newBuilder().setUrlPath(io.envoyproxy.envoy.type.matcher.v3.PathMatcher.newBuilder()
                        .setPath(StringMatcher.newBuilder().setPrefix("/admin"))))
                .addPrincipals(Principal.newBuilder().setAuthenticated(Principal.Authenticated.newBuilder()
                        .setPrincipalName(StringMatcher.newBuilder().setExact("spiffe://cluster.local/ns/default/sa/client"))))
                .build()).build();
        HttpFilter rbac = HttpFilter.newBuilder().setName("envoy.filters.http.rbac").setTypedConfig(Xds.any(
                io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder().setRules(rules).build())).build();
        Listener inbound = Xds.inboundHttp("virtualInbound-9080", "0.0.0.0", 15006, "inbound|9080||", true,
                List.of(Xds.peerMetadataFilter(io.isthmus.mesh.PeerMetadataExchange.inboundConfig()),
                        rbac, fault));
        Filter tcpProxy = Filter.newBuilder().setName("envoy.filters.network.tcp_proxy").setTypedConfig(Xds.any(
                TcpProxy.newBuilder().setStatPrefix("outbound|3306||db.default.svc.cluster.local")
                        .setCluster("outbound|3306||db.default.svc.cluster.local").build())).build();
        Filter networkRbac = Filter.newBuilder().setName("envoy.filters.network.rbac").setTypedConfig(Xds.any(
                io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.newBuilder().setStatPrefix("tcp.").setRules(rules).build())).build();
        Listener tcp = Listener.newBuilder().setName("0.0.0.0_3306").setAddress(Xds.address("127.0.0.2", 3306))
                .addFilterChains(FilterChain.newBuilder().addFilters(networkRbac).addFilters(tcpProxy)).build();
        Listener sni = Listener.newBuilder().setName("0.0.0.0_443").setAddress(Xds.address("0.0.0.0", 8443))
                .addListenerFilters(ListenerFilter.newBuilder().setName("envoy.filters.listener.tls_inspector")
                        .setTypedConfig(Xds.any(TlsInspector.getDefaultInstance())))
                .addFilterChains(FilterChain.newBuilder().setFilterChainMatch(FilterChainMatch.newBuilder()
                                .addServerNames("reviews.example.com").setTransportProtocol("tls"))
                        .setTransportSocket(Xds.downstreamTls(false)).addFilters(tcpProxy))
                .addFilterChains(FilterChain.newBuilder().setFilterChainMatch(FilterChainMatch.newBuilder()
                        .setTransportProtocol("raw_buffer")).addFilters(tcpProxy))
                .build();
        // Istio's VirtualService tcp route with weighted destinations: a 90/10 canary between two subsets
        Listener canary = Listener.newBuilder().setName("0.0.0.0_5432").setAddress(Xds.address("127.0.0.2", 5432))
                .addFilterChains(FilterChain.newBuilder().addFilters(networkRbac).addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.tcp_proxy").setTypedConfig(Xds.any(TcpProxy.newBuilder()
                                .setStatPrefix("outbound|5432|v1|pg.default.svc.cluster.local")
                                .setWeightedClusters(TcpProxy.WeightedCluster.newBuilder()
                                        .addClusters(TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
                                                .setName("outbound|5432|v1|pg.default.svc.cluster.local").setWeight(90))
                                        .addClusters(TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
                                                .setName("outbound|5432|v2|pg.default.svc.cluster.local").setWeight(10)))
                                .build()))))
                .build();
        // the controller's outbound chain: the peer metadata exchange, CORS and fault filters (routes configure both), then the router
        Listener outbound = Xds.outboundHttp("127.0.0.2_9080", "127.0.0.2", 9080, "9080", List.of(
                Xds.peerMetadataFilter(io.isthmus.mesh.PeerMetadataExchange.outboundConfig())));
        HttpConnectionManager hcm;
        try {
            hcm = outbound.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        hcm = hcm.toBuilder().clearHttpFilters().addHttpFilters(Xds.peerMetadataFilter(
                        io.isthmus.mesh.PeerMetadataExchange.outboundConfig())).addHttpFilters(HttpFilter.newBuilder().setName("envoy.filters.http.cors")
                        .setTypedConfig(Xds.any(Cors.getDefaultInstance())))
                .addHttpFilters(fault).addHttpFilters(Xds.router()).build();
        Listener outboundCors = outbound.toBuilder().setName("127.0.0.2_9081").setAddress(Xds.address("127.0.0.2", 9081))
                .setFilterChains(0, outbound.getFilterChains(0).toBuilder().setFilters(0, outbound.getFilterChains(0).getFilters(0)
                        .toBuilder().setTypedConfig(Xds.any(hcm)))).build();
        return List.of(outbound, outboundCors, inbound, tcp, sni, canary);
    }

    private static RouteConfiguration routes() {
        Route split = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/")
                        .addHeaders(HeaderMatcher.newBuilder().setName("x-user").setStringMatch(StringMatcher.newBuilder().setExact("jason"))))
                .setRoute(RouteAction.newBuilder().setWeightedClusters(WeightedCluster.newBuilder()
                                .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName("outbound|9080|v1|reviews.default.svc.cluster.local")
                                        .setWeight(UInt32Value.of(90)))
                                .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName("outbound|9080|v2|reviews.default.svc.cluster.local")
                                        .setWeight(UInt32Value.of(10))
                                        .addRequestHeadersToAdd(header("x-subset", "v2", HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                                        .addResponseHeadersToRemove("x-internal")))
                        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(2))
                        .setRetryPolicy(Xds.meshRetry().toBuilder().setPerTryTimeout(com.google.protobuf.Duration.newBuilder().setNanos(500_000_000)))
                        .addRequestMirrorPolicies(RouteAction.RequestMirrorPolicy.newBuilder()
                                .setCluster("outbound|9080||mirror.default.svc.cluster.local")))
                .putTypedPerFilterConfig("envoy.filters.http.fault", Xds.any(HTTPFault.newBuilder()
                        .setDelay(io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay.newBuilder()
                                .setFixedDelay(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                                .setPercentage(FractionalPercent.newBuilder().setNumerator(10)))
                        .setAbort(io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort.newBuilder().setHttpStatus(503)
                                .setPercentage(FractionalPercent.newBuilder().setNumerator(5)))
                        .build()))
                .addRequestHeadersToAdd(header("x-client", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
                        HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))
                .addRequestHeadersToAdd(header("x-legacy", "100%%", HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)
                        .toBuilder().setAppend(com.google.protobuf.BoolValue.of(false)))
                .addRequestHeadersToRemove("x-debug")
                .addResponseHeadersToAdd(header("x-upstream", "%UPSTREAM_REMOTE_ADDRESS%", HeaderValueOption.HeaderAppendAction.ADD_IF_ABSENT))
                .build();
        Route regex = Route.newBuilder().setMatch(RouteMatch.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex("/api/v[0-9]+/.*")))
                .setRoute(RouteAction.newBuilder().setCluster("outbound|9080||reviews.default.svc.cluster.local")).build();
        // a DestinationRule's consistentHash, every kind of hash policy Istio sends
        Route hashed = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/cart"))
                .setRoute(RouteAction.newBuilder().setCluster("outbound|9080||cart.default.svc.cluster.local")
                        .addHashPolicy(RouteAction.HashPolicy.newBuilder().setHeader(RouteAction.HashPolicy.Header.newBuilder()
                                .setHeaderName("x-user")))
                        .addHashPolicy(RouteAction.HashPolicy.newBuilder().setCookie(RouteAction.HashPolicy.Cookie.newBuilder()
                                .setName("session").setPath("/cart").setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(60))))
                        .addHashPolicy(RouteAction.HashPolicy.newBuilder().setConnectionProperties(
                                RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true)).setTerminal(true))
                        .addHashPolicy(RouteAction.HashPolicy.newBuilder().setQueryParameter(
                                RouteAction.HashPolicy.QueryParameter.newBuilder().setName("tenant"))))
                .build();
        // Istio's translation of a VirtualService corsPolicy, on a route and (less specific) on its virtual host
        CorsPolicy cors = CorsPolicy.newBuilder()
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setExact("https://shop.example.com"))
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setPrefix("https://beta."))
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex("https://.*\\.example\\.org")))
                .setAllowMethods("GET,POST").setAllowHeaders("x-user,content-type").setExposeHeaders("x-request-id")
                .setMaxAge("86400").setAllowCredentials(com.google.protobuf.BoolValue.of(true))
                .setFilterEnabled(io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent.newBuilder().setDefaultValue(
                        FractionalPercent.newBuilder().setNumerator(100).setDenominator(FractionalPercent.DenominatorType.HUNDRED)))
                .setForwardNotMatchingPreflights(com.google.protobuf.BoolValue.of(false))
                .build();
        regex = regex.toBuilder().putTypedPerFilterConfig("envoy.filters.http.cors", Xds.any(cors)).build();
        Route exact = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPath("/health"))
                .setDirectResponse(io.envoyproxy.envoy.config.route.v3.DirectResponseAction.newBuilder().setStatus(200))
                .putTypedPerFilterConfig("envoy.filters.http.cors", Xds.any(CorsPolicy.newBuilder()
                        .addAllowOriginStringMatch(StringMatcher.newBuilder().setExact("https://legacy.example.com")).build()))
                .build();
        return Xds.routes("9080",
                Xds.vhost("reviews.default.svc.cluster.local:9080", List.of("reviews.default.svc.cluster.local",
                        "reviews.default.svc.cluster.local:9080", "reviews", "reviews:9080", "10.96.0.12:9080"), split, regex, hashed,
                        exact)
                        .toBuilder().addResponseHeadersToAdd(header("x-vh", "%PROTOCOL%",
                                HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS))
                        .putTypedPerFilterConfig("envoy.filters.http.cors", Xds.any(CorsPolicy.newBuilder().setMaxAge("60")
                                .setAllowMethods("GET").build())).build(),
                Xds.vhost("allow_any", List.of("*"), Xds.prefixRoute("/", "PassthroughCluster"))).toBuilder()
                .addRequestHeadersToRemove("x-envoy-peer-metadata").setMostSpecificHeaderMutationsWins(true)
                .putTypedPerFilterConfig("envoy.filters.http.cors", Xds.any(CorsPolicy.newBuilder().setExposeHeaders("x-trace").build()))
                .build();
    }

    private static HeaderValueOption header(String name, String value, HeaderValueOption.HeaderAppendAction action) {
        return HeaderValueOption.newBuilder().setHeader(io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder()
                .setKey(name).setValue(value)).setAppendAction(action).build();
    }

    private static List<Cluster> clusters() {
        Cluster eds = Xds.edsCluster("outbound|9080||reviews.default.svc.cluster.local", "outbound_.9080_._.reviews.default.svc.cluster.local",
                        List.of("spiffe://cluster.local/ns/default/sa/bookinfo-reviews")).toBuilder()
                .setOutlierDetection(Xds.outlier(5, 30_000, 100))
                .setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(CircuitBreakers.Thresholds.newBuilder()
                        .setMaxConnections(UInt32Value.of(1024)).setMaxPendingRequests(UInt32Value.of(1024))
                        .setMaxRequests(UInt32Value.of(1024)).setMaxRetries(UInt32Value.of(100))))
                .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
                .setCommonLbConfig(Cluster.CommonLbConfig.newBuilder().setLocalityWeightedLbConfig(
                        Cluster.CommonLbConfig.LocalityWeightedLbConfig.getDefaultInstance()))
                .putTypedExtensionProtocolOptions("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Xds.any(
                        HttpProtocolOptions.newBuilder().setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                                .setHttp2ProtocolOptions(io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.getDefaultInstance()))
                                .build()))
                .build();
        Cluster dns = Cluster.newBuilder().setName("outbound|443||api.example.com").setType(Cluster.DiscoveryType.STRICT_DNS)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName("outbound|443||api.example.com")
                        .addEndpoints(io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints.newBuilder()
                                .addLbEndpoints(Xds.lbEndpoint("api.example.com", 443, 1))))
                .build();
        Cluster passthrough = Cluster.newBuilder().setName("PassthroughCluster").setType(Cluster.DiscoveryType.ORIGINAL_DST)
                .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(10)).build();
        Cluster autoMtls = Xds.autoMtlsCluster("outbound|9080||ratings.default.svc.cluster.local",
                "outbound_.9080_._.ratings.default.svc.cluster.local", List.of("spiffe://cluster.local/ns/default/sa/bookinfo-ratings"));
        Cluster ringHash = Xds.edsCluster("outbound|9080||cart.default.svc.cluster.local", null, List.of()).toBuilder()
                .setLbPolicy(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
                        .setMinimumRingSize(com.google.protobuf.UInt64Value.of(2048))).build();
        Cluster maglev = Xds.edsCluster("outbound|9080||cart.default.svc.cluster.local", null, List.of()).toBuilder()
                .setLbPolicy(Cluster.LbPolicy.MAGLEV).setMaglevLbConfig(Cluster.MaglevLbConfig.newBuilder()
                        .setTableSize(com.google.protobuf.UInt64Value.of(65_537))).build();
        return List.of(eds, Xds.staticCluster("inbound|9080||", "127.0.0.1", 9080), dns, passthrough, autoMtls, ringHash, maglev);
    }

    private static ClusterLoadAssignment assignment() {
        List<io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints> groups = new ArrayList<>();
        groups.add(Xds.group("east-a", 0, Xds.withTlsMode(Xds.lbEndpoint("10.1.0.7", 9080, 1), "istio"),
                Xds.withTlsMode(Xds.lbEndpoint("10.1.0.8", 9080, 1), "disabled")));
        groups.add(Xds.group("east-b", 1, Xds.lbEndpoint("10.1.1.7", 9080, 1)).toBuilder()
                .setLoadBalancingWeight(UInt32Value.of(2)).build());
        LbEndpoint unhealthy = Xds.lbEndpoint("10.2.0.9", 15443, 3).toBuilder().setHealthStatus(HealthStatus.UNHEALTHY).build();
        groups.add(io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints.newBuilder()
                .setLocality(Locality.newBuilder().setRegion("west").setZone("west-a").setSubZone("rack1"))
                .setPriority(2).addLbEndpoints(Xds.lbEndpoint("10.2.0.1", 15443, 3)).addLbEndpoints(unhealthy).build());
        return Xds.cla("outbound|9080||reviews.default.svc.cluster.local", groups.toArray(
                        io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints[]::new)).toBuilder()
                .setPolicy(ClusterLoadAssignment.Policy.newBuilder().setOverprovisioningFactor(UInt32Value.of(140)))
                .build();
    }
}
