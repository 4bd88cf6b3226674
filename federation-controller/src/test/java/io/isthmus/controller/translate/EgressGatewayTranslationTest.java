package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.isthmus.controller.config.ConfigException;
import io.isthmus.controller.config.ConfigFiles;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.mesh.XdsNames;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Istio's egress gateway with TLS origination, end to end through the translation: the sidecar sends
 * {@code http://api.example.com} over mesh mTLS (SNI = the external host) to the egress gateway,
 * whose Gateway server terminates it and whose route originates TLS to the external host.
 */
class EgressGatewayTranslationTest {
    private static final String ROOT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private static final String EGRESS = "istio-egressgateway.istio-system.svc.cluster.local";

    /** What a user writes (also the shape the end-to-end scenario uses). */
    static final String EGRESS_TLS_ORIGINATION = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api-example, namespace: default}
            spec:
              hosts: [api.example.com]
              location: MESH_EXTERNAL
              resolution: DNS
              ports:
              - {number: 80, name: http, protocol: HTTP}
              - {number: 443, name: https, protocol: HTTPS}
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: egress, namespace: istio-system}
            spec:
              selector: {istio: egressgateway}
              servers:
              - port: {number: 8443, name: https, protocol: HTTPS}
                hosts: [api.example.com]
                tls: {mode: ISTIO_MUTUAL}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: egressgateway-for-api, namespace: istio-system}
            spec:
              host: istio-egressgateway.istio-system.svc.cluster.local
              trafficPolicy:
                tls: {mode: ISTIO_MUTUAL, sni: api.example.com}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: api-through-egress, namespace: default}
            spec:
              hosts: [api.example.com]
              gateways: [mesh, istio-system/egress]
              http:
              - match: [{gateways: [mesh], port: 80}]
                route:
                - destination: {host: istio-egressgateway.istio-system.svc.cluster.local, port: {number: 443}}
              - match: [{gateways: [istio-system/egress], port: 8443}]
                route:
                - destination: {host: api.example.com, port: {number: 443}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: originate-tls-for-api, namespace: default}
            spec:
              host: api.example.com
              trafficPolicy:
                portLevelSettings:
                - port: {number: 443}
                  tls: {mode: SIMPLE, sni: api.example.com, caCertificates: /etc/isthmus/external-ca.pem}
            """;

    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "istio-system", "istio-egressgateway", EGRESS,
                List.of(new ServicePort("https", 443, 8443, Protocol.HTTPS)), Map.of(),
                List.of(new WorkloadEndpoint("10.1.0.20", Map.of("https", 8443), "east", "net-east", EAST_A,
                        EndpointHealth.HEALTHY, "istio-egressgateway", "egress-0", "istio-system",
                        Map.of("istio", "egressgateway")))));
        translator = new MeshTranslator(r, "cluster.local", () -> ROOT, config::current);
        ConfigException last = null;
        for (var res : ConfigFiles.parse(EGRESS_TLS_ORIGINATION, "test")) {
            ConfigException e = config.upsert("test", res);
            last = e != null ? e : last;
        }
        assertThat(last).isNull();
        translator.invalidate();
    }

    @Test
    void theSidecarSendsTheExternalHostToTheEgressGatewayOverMeshTlsWithTheExternalSni() throws Exception {
        ProxyResources r = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A));
        RouteConfiguration rc = r.routes().get(XdsNames.outboundRoute(80));
        Route route = rc.getVirtualHostsList().stream().filter(v -> v.getName().equals("api.example.com:80"))
                .findFirst().orElseThrow().getRoutes(0);
        assertThat(route.getRoute().getCluster()).isEqualTo("outbound|443||" + EGRESS);
        UpstreamTlsContext tls = r.clusters().get("outbound|443||" + EGRESS).getTransportSocket().getTypedConfig()
                .unpack(UpstreamTlsContext.class);
        assertThat(tls.getSni()).as("matches the Gateway server's host").isEqualTo("api.example.com");
        assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo(XdsNames.WORKLOAD_SECRET);
        assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
                .getMatchTypedSubjectAltNames(0).getMatcher().getExact())
                .isEqualTo("spiffe://cluster.local/ns/istio-system/sa/istio-egressgateway");
    }

    @Test
    void theEgressGatewayTerminatesMeshTlsAndOriginatesTlsToTheExternalHost() throws Exception {
        Node n = node("router", "10.1.0.20", "egress-0", "east", "net-east", EAST_A, null, null);
        Struct md = n.getMetadata().toBuilder().putFields(ProxyMetadata.NAMESPACE, str("istio-system"))
                .putFields(ProxyMetadata.SERVICE_ACCOUNT, str("istio-egressgateway"))
                .putFields(ProxyMetadata.LABELS, Value.newBuilder().setStructValue(Struct.newBuilder()
                        .putFields("istio", str("egressgateway"))).build()).build();
        n = n.toBuilder().setId(ProxyMetadata.nodeId("router", "10.1.0.20", "egress-0", "istio-system"))
                .setMetadata(md).build();
        ProxyResources r = translator.resourcesFor(ProxyView.fromNode(n));

        Listener l = r.listeners().get("0.0.0.0_8443");
        assertThat(l).isNotNull();
        HttpConnectionManager hcm = l.getFilterChains(0).getFiltersList().stream()
                .filter(f -> f.getName().equals("envoy.filters.network.http_connection_manager")).findFirst()
                .orElseThrow().getTypedConfig().unpack(HttpConnectionManager.class);
        RouteConfiguration rc = r.routes().get(hcm.getRds().getRouteConfigName());
        assertThat(rc.getVirtualHostsList()).singleElement().satisfies(vh -> {
            assertThat(vh.getDomainsList()).contains("api.example.com");
            assertThat(vh.getRoutesList()).singleElement().satisfies(route ->
                    assertThat(route.getRoute().getCluster()).isEqualTo("outbound|443||api.example.com"));
        });

        Cluster c = r.clusters().get("outbound|443||api.example.com");
        assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
        assertThat(c.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress()
                .getAddress()).isEqualTo("api.example.com");
        UpstreamTlsContext tls = c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
        assertThat(tls.getSni()).isEqualTo("api.example.com");
        assertThat(tls.getCommonTlsContext().getValidationContext().getTrustedCa().getFilename())
                .isEqualTo("/etc/isthmus/external-ca.pem");
        assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsList()).isEmpty();
        assertThat(r.listeners()).as("no sidecar listeners on a gateway").doesNotContainKey(XdsNames.outboundListener(80));
    }
}
