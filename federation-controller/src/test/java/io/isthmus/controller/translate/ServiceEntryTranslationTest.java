package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.isthmus.controller.config.ConfigException;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.mesh.XdsNames;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ServiceEntries with STATIC endpoints in the produced xDS, like Kubernetes services. */
class ServiceEntryTranslationTest {
    private static final String DB = "db.payments.svc.cluster.local";
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        r.replaceGateways("west", List.of(new NetworkGateway("net-west", "west", "10.255.0.2", 15443)));
        translator = translator(r, config);
    }

    private ConfigException apply(String yaml) {
        return Fixtures.apply(config, translator, yaml);
    }

    @Test
    void meshInternalEntryBecomesAnHttpServiceWithMtlsSplitHorizonEndpointsAndLocalities() throws Exception {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: db, namespace: payments}
                spec:
                  hosts: [db.payments.svc.cluster.local]
                  location: MESH_INTERNAL
                  resolution: STATIC
                  ports: [{number: 8080, name: http, protocol: HTTP}]
                  endpoints:
                  - {address: 10.1.0.50, ports: {http: 18080}, labels: {version: v1}, network: net-east, locality: us-east/us-east-b}
                  - {address: 10.1.0.51, labels: {version: v2}, network: net-east, locality: us-east/us-east-a}
                  - {address: 10.2.0.50, network: net-west, locality: us-west/us-west-a}
                """)).isNull();
        ProxyResources r = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A));

        Listener l = r.listeners().get(XdsNames.outboundListener(8080));
        assertThat(l).isNotNull();
        assertThat(l.getAddress().getSocketAddress().getAddress()).isEqualTo(XdsNames.OUTBOUND_BIND_ADDRESS);
        assertThat(l.getAddress().getSocketAddress().getPortValue()).isEqualTo(8080);
        RouteConfiguration rc = r.routes().get(XdsNames.outboundRoute(8080));
        assertThat(rc.getVirtualHostsList()).singleElement().satisfies(vh -> {
            assertThat(vh.getDomainsList()).contains(DB, DB + ":8080", "db.payments", "db.payments.svc");
            assertThat(vh.getRoutes(0).getRoute().getCluster()).isEqualTo("outbound|8080||" + DB);
            assertThat(vh.getRoutes(0).getRoute().getRetryPolicy().getNumRetries().getValue()).isEqualTo(2);
        });

        Cluster c = r.clusters().get("outbound|8080||" + DB);
        assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
        UpstreamTlsContext tls = Fixtures.meshTls(c);
        assertThat(tls.getSni()).isEqualTo("outbound_.8080_._." + DB);
        assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
                .getMatchTypedSubjectAltNamesList()).isEmpty();
        assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getValidationContextSdsSecretConfig()
                .getName()).isEqualTo(XdsNames.ROOT_SECRET);

        ClusterLoadAssignment cla = r.endpoints().get("outbound|8080||" + DB);
        assertThat(cla.getEndpointsList()).hasSize(3);
        assertThat(cla.getEndpoints(0).getPriority()).isZero();
        assertThat(cla.getEndpoints(0).getLocality().getZone()).isEqualTo("us-east-a");
        assertThat(address(cla.getEndpoints(0).getLbEndpoints(0))).isEqualTo("10.1.0.51:8080");
        assertThat(cla.getEndpoints(1).getPriority()).isEqualTo(1);
        assertThat(cla.getEndpoints(1).getLocality().getZone()).isEqualTo("us-east-b");
        assertThat(address(cla.getEndpoints(1).getLbEndpoints(0))).isEqualTo("10.1.0.50:18080");
        assertThat(cla.getEndpoints(2).getPriority()).isEqualTo(2);
        assertThat(address(cla.getEndpoints(2).getLbEndpoints(0))).as("other network via its gateway")
                .isEqualTo("10.255.0.2:15443");

        // subsets select on the endpoints' labels
        apply("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: db, namespace: payments}
                spec:
                  host: db.payments.svc.cluster.local
                  subsets: [{name: v2, labels: {version: v2}}]
                """);
        r = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A));
        assertThat(r.endpoints().get("outbound|8080|v2|" + DB).getEndpointsList()).singleElement()
                .satisfies(g -> assertThat(address(g.getLbEndpoints(0))).isEqualTo("10.1.0.51:8080"));

        // the west gateway gets the endpoints on its network
        var gw = io.isthmus.controller.translate.ProxyView.fromNode(node("router", "10.255.0.2", "gw-0", "west",
                "net-west", WEST_A, io.isthmus.mesh.ProxyMetadata.REQUESTED_NETWORK_VIEW, "net-west"));
        ProxyResources g = translator.resourcesFor(gw);
        assertThat(g.endpoints().get("outbound|8080||" + DB).getEndpointsList()).singleElement()
                .satisfies(e -> assertThat(address(e.getLbEndpoints(0))).isEqualTo("10.2.0.50:8080"));
    }

    @Test
    void meshExternalEntryIsPlainTcpToItsStaticAddresses() throws Exception {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: ext, namespace: default}
                spec:
                  hosts: [api.example.com]
                  location: MESH_EXTERNAL
                  resolution: STATIC
                  ports: [{number: 443, name: tls, protocol: TLS, targetPort: 8443}]
                  endpoints: [{address: 127.0.0.9}]
                """)).isNull();
        ProxyResources r = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A));
        String name = "outbound|443||api.example.com";
        Cluster c = r.clusters().get(name);
        assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
        assertThat(c.hasTransportSocket()).as("the app's own TLS passes as it is").isFalse();
        Listener l = r.listeners().get(XdsNames.outboundListener(443));
        TcpProxy tcp = l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(TcpProxy.class);
        assertThat(tcp.getCluster()).isEqualTo(name);
        assertThat(r.endpoints().get(name).getEndpointsList()).singleElement()
                .satisfies(g -> assertThat(address(g.getLbEndpoints(0))).isEqualTo("127.0.0.9:8443"));
    }

    @Test
    void theRegistryKeepsItsHosts() {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: shadow, namespace: default}
                spec:
                  hosts: [reviews.default.svc.cluster.local]
                  location: MESH_EXTERNAL
                  resolution: STATIC
                  ports: [{number: 9080, name: http, protocol: HTTP}]
                  endpoints: [{address: 127.0.0.9}]
                """)).isNull();
        ProxyResources r = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A));
        assertThat(Fixtures.meshSocket(r.clusters().get("outbound|9080||" + REVIEWS))).isPresent();
        assertThat(r.endpoints().get("outbound|9080||" + REVIEWS).getEndpointsList()).singleElement()
                .satisfies(g -> assertThat(address(g.getLbEndpoints(0))).isEqualTo("10.1.0.10:9080"));
    }

    private static String address(LbEndpoint e) {
        var sa = e.getEndpoint().getAddress().getSocketAddress();
        return sa.getAddress() + ":" + sa.getPortValue();
    }
}
