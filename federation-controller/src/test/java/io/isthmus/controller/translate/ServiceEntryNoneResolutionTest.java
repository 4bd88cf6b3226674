package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.isthmus.controller.config.ConfigException;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.config.ServiceEntry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.mesh.XdsNames;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ServiceEntries with {@code resolution: NONE} (Istio's default): an ORIGINAL_DST cluster per port
 * ({@code lb_policy: CLUSTER_PROVIDED}, no EDS), with the listener and route shapes of any service,
 * as Istio sends them to a sidecar in transparent capture.
 */
class ServiceEntryNoneResolutionTest {
    private static final String PLAIN = "plain.node.test";
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        translator = translator(r, config);
    }

    private ConfigException apply(String yaml) {
        return Fixtures.apply(config, translator, yaml);
    }

    private static ProxyView captured() {
        Node n = node("sidecar", "10.1.0.5", "client-v1-0", "east", "net-east", EAST_A, null, null);
        return ProxyView.fromNode(n.toBuilder().setMetadata(n.getMetadata().toBuilder()
                .putFields(ProxyMetadata.INTERCEPTION_MODE, Value.newBuilder().setStringValue("TPROXY").build())).build());
    }

    @Test
    void anHttpPortBecomesAnOriginalDstClusterBehindTheUsualListenerAndVirtualHost() throws Exception {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: plain, namespace: default}
                spec:
                  hosts: [plain.node.test]
                  location: MESH_EXTERNAL
                  resolution: NONE
                  ports: [{number: 18080, name: http, protocol: HTTP}]
                """)).isNull();
        ProxyResources r = translator.resourcesFor(captured());
        String name = "outbound|18080||" + PLAIN;

        Cluster c = r.clusters().get(name);
        assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);
        assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.CLUSTER_PROVIDED);
        assertThat(c.hasEdsClusterConfig()).as("no EDS").isFalse();
        assertThat(c.hasLoadAssignment()).as("no endpoints").isFalse();
        assertThat(c.hasOutlierDetection()).isFalse();
        assertThat(c.hasTransportSocket()).as("MESH_EXTERNAL: the app's bytes as they are").isFalse();
        assertThat(c.getConnectTimeout().getSeconds() + c.getConnectTimeout().getNanos()).isPositive();
        assertThat(r.endpoints()).doesNotContainKey(name);

        Listener l = r.listeners().get(XdsNames.anyAddressListener(18080));
        assertThat(l.getAddress().getSocketAddress().getAddress()).as("TPROXY: every destination on the port").isEqualTo("0.0.0.0");
        assertThat(l.getBindToPort().getValue()).isFalse();
        HttpConnectionManager hcm = l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
        assertThat(hcm.getRds().getRouteConfigName()).isEqualTo(XdsNames.outboundRoute(18080));
        RouteConfiguration rc = r.routes().get(XdsNames.outboundRoute(18080));
        VirtualHost vh = rc.getVirtualHostsList().stream().filter(v -> v.getDomainsList().contains(PLAIN)).findFirst().orElseThrow();
        assertThat(vh.getDomainsList()).contains(PLAIN, PLAIN + ":18080");
        assertThat(vh.getRoutes(0).getRoute().getCluster()).isEqualTo(name);
    }

    @Test
    void aTcpPortGetsATcpProxyAndADestinationRuleShapesTlsButNotTheBalancer() throws Exception {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: db, namespace: default}
                spec:
                  hosts: [db.internal.test]
                  location: MESH_INTERNAL
                  ports: [{number: 5432, name: tcp, protocol: TCP}]
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: db, namespace: default}
                spec:
                  host: db.internal.test
                  trafficPolicy:
                    loadBalancer: {simple: LEAST_REQUEST}
                    outlierDetection: {consecutive5xxErrors: 3, interval: 5s, baseEjectionTime: 30s}
                    tls: {mode: SIMPLE, sni: db.internal.test, caCertificates: /etc/db-ca.pem}
                """)).isNull();
        ProxyResources r = translator.resourcesFor(captured());
        String name = "outbound|5432||db.internal.test";
        Cluster c = r.clusters().get(name);
        assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);
        assertThat(c.getLbPolicy()).as("the original destination is the only host").isEqualTo(Cluster.LbPolicy.CLUSTER_PROVIDED);
        assertThat(c.hasOutlierDetection()).isFalse();
        assertThat(c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class).getSni()).isEqualTo("db.internal.test");

        Listener l = r.listeners().get(XdsNames.anyAddressListener(5432));
        TcpProxy tcp = l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(TcpProxy.class);
        assertThat(tcp.getCluster()).isEqualTo(name);
    }

    @Test
    void noneIsTheDefaultAndTakesNoEndpoints() {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: unset, namespace: default}
                spec:
                  hosts: [api.example.net]
                  ports: [{number: 443, name: tls, protocol: TLS}]
                """)).isNull();
        assertThat(config.current().all(ServiceEntry.class)).singleElement()
                .satisfies(se -> assertThat(se.resolution()).isEqualTo(ServiceEntry.Resolution.NONE));
        assertThat(translator.resourcesFor(captured()).clusters().get("outbound|443||api.example.net").getType())
                .isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);

        ConfigException withEndpoints = apply("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: bad, namespace: default}
                spec:
                  hosts: [bad.example.net]
                  resolution: NONE
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  endpoints: [{address: 10.9.9.9}]
                """);
        assertThat(withEndpoints).isNotNull();
        assertThat(withEndpoints.field()).isEqualTo("spec.endpoints");
        assertThat(withEndpoints.getMessage()).contains("ServiceEntry", "NONE", "takes no endpoints", "STATIC");
        assertThat(translator.resourcesFor(captured()).clusters()).doesNotContainKey("outbound|80||bad.example.net")
                .containsKey("outbound|443||api.example.net");
    }
}
