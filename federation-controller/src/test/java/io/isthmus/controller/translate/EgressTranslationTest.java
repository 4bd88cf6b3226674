package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.isthmus.controller.config.ConfigException;
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
 * Egress in the produced xDS: DNS ServiceEntries as STRICT_DNS clusters, TLS origination by
 * DestinationRule, VirtualService routes bound to {@code mesh} only, and the REGISTRY_ONLY catch-all.
 */
class EgressTranslationTest {
    private static final String EGRESS = "istio-egressgateway.istio-system.svc.cluster.local";
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        r.putService(new ClusterService("east", "istio-system", "istio-egressgateway", EGRESS,
                List.of(new ServicePort("https", 443, 8443, Protocol.HTTPS)), Map.of(),
                List.of(new WorkloadEndpoint("10.1.0.20", Map.of("https", 8443), "east", "net-east", EAST_A,
                        EndpointHealth.HEALTHY, "istio-egressgateway", "egress-0", "istio-system",
                        Map.of("istio", "egressgateway")))));
        translator = translator(r, config);
    }

    private ConfigException apply(String yaml) {
        return Fixtures.apply(config, translator, yaml);
    }

    private ProxyResources sidecarIn(String namespace) {
        Node n = node("sidecar", "10.1.0.5", "app-0", "east", "net-east", EAST_A, null, null).toBuilder()
                .setId(ProxyMetadata.nodeId("sidecar", "10.1.0.5", "app-0", namespace)).build();
        Struct md = n.getMetadata().toBuilder().putFields(ProxyMetadata.NAMESPACE, str(namespace))
                .putFields(ProxyMetadata.LABELS, com.google.protobuf.Value.newBuilder().setStructValue(
                        Struct.newBuilder().putFields("app", str("app"))).build()).build();
        return translator.resourcesFor(ProxyView.fromNode(n.toBuilder().setMetadata(md).build()));
    }

    private ProxyResources sidecar() {
        return sidecarIn("default");
    }

    private static final String DNS_ENTRY = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api, namespace: default}
            spec:
              hosts: [api.example.com]
              location: MESH_EXTERNAL
              resolution: DNS
              ports:
              - {number: 80, name: http, protocol: HTTP}
              - {number: 443, name: https, protocol: HTTPS}
            """;

    @Test
    void dnsEntryBecomesStrictDnsClustersOfItsHostWithoutMeshTlsOrOutlierDetection() throws Exception {
        assertThat(apply(DNS_ENTRY)).isNull();
        ProxyResources r = sidecar();

        Cluster https = r.clusters().get("outbound|443||api.example.com");
        assertThat(https.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
        assertThat(https.getDnsLookupFamily()).isEqualTo(Cluster.DnsLookupFamily.V4_ONLY);
        assertThat(https.getDnsRefreshRate().getSeconds()).isEqualTo(5);
        assertThat(https.hasTransportSocket()).as("MESH_EXTERNAL: no mesh mTLS").isFalse();
        assertThat(https.hasOutlierDetection()).as("MESH_EXTERNAL: no default outlier detection").isFalse();
        assertThat(https.hasEdsClusterConfig()).isFalse();
        assertThat(https.getLoadAssignment().getClusterName()).isEqualTo("outbound|443||api.example.com");
        assertThat(https.getLoadAssignment().getEndpointsList()).singleElement()
                .satisfies(g -> assertThat(g.getLbEndpointsList()).singleElement()
                        .satisfies(e -> assertThat(address(e)).isEqualTo("api.example.com:443")));
        assertThat(r.endpoints()).as("no EDS for STRICT_DNS").doesNotContainKey("outbound|443||api.example.com");

        // HTTPS: a tcp_proxy listener to the cluster
        TcpProxy tcp = r.listeners().get(XdsNames.outboundListener(443)).getFilterChains(0).getFilters(0)
                .getTypedConfig().unpack(TcpProxy.class);
        assertThat(tcp.getCluster()).isEqualTo("outbound|443||api.example.com");

        // HTTP: a virtual host on the outbound route of port 80, default route to the DNS cluster
        assertThat(r.clusters().get("outbound|80||api.example.com").getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
        RouteConfiguration rc = r.routes().get(XdsNames.outboundRoute(80));
        assertThat(rc.getVirtualHostsList()).singleElement().satisfies(vh -> {
            assertThat(vh.getDomainsList()).contains("api.example.com", "api.example.com:80");
            assertThat(vh.getRoutes(0).getRoute().getCluster()).isEqualTo("outbound|80||api.example.com");
        });
        assertThat(r.listeners()).containsKey(XdsNames.outboundListener(80));
    }

    @Test
    void dnsEndpointsOverrideTheAddressAndPortAndMeshInternalKeepsMeshTls() throws Exception {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: legacy, namespace: default}
                spec:
                  hosts: [legacy.internal]
                  location: MESH_INTERNAL
                  resolution: DNS
                  ports: [{number: 7000, name: tcp-db, protocol: TCP, targetPort: 7100}]
                  endpoints:
                  - {address: db-a.internal, ports: {tcp-db: 7001}, locality: us-east/us-east-a, labels: {version: a}}
                  - {address: 127.0.0.7}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: legacy, namespace: default}
                spec:
                  host: legacy.internal
                  subsets: [{name: a, labels: {version: a}}]
                """)).isNull();
        Cluster c = sidecar().clusters().get("outbound|7000||legacy.internal");
        assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
        List<String> addresses = c.getLoadAssignment().getEndpointsList().stream()
                .flatMap(g -> g.getLbEndpointsList().stream()).map(EgressTranslationTest::address).toList();
        assertThat(addresses).containsExactly("db-a.internal:7001", "127.0.0.7:7100");
        assertThat(c.getLoadAssignment().getEndpoints(0).getLocality().getZone()).isEqualTo("us-east-a");
        UpstreamTlsContext tls = c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
        assertThat(tls.getSni()).isEqualTo("outbound_.7000_._.legacy.internal");
        assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getValidationContextSdsSecretConfig()
                .getName()).isEqualTo(XdsNames.ROOT_SECRET);
        assertThat(c.hasOutlierDetection()).as("MESH_INTERNAL keeps the mesh default").isTrue();
        assertThat(sidecar().clusters().get("outbound|7000|a|legacy.internal").getLoadAssignment().getEndpointsList())
                .as("a subset keeps the endpoints with its labels").singleElement()
                .satisfies(g -> assertThat(g.getLbEndpointsList()).singleElement()
                        .satisfies(e -> assertThat(address(e)).isEqualTo("db-a.internal:7001")));

        ConfigException wildcard = apply("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: wild, namespace: default}
                spec:
                  hosts: ["*.example.org"]
                  resolution: DNS
                  ports: [{number: 443, name: tls, protocol: TLS}]
                """);
        assertThat(wildcard.field()).isEqualTo("spec.hosts[0]");
        assertThat(wildcard.reason()).contains("DNS", "wildcard");
        ConfigException badAddress = apply("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: bad, namespace: default}
                spec:
                  hosts: [bad.example.org]
                  resolution: DNS
                  ports: [{number: 443, name: tls, protocol: TLS}]
                  endpoints: [{address: "not a host"}]
                """);
        assertThat(badAddress.field()).isEqualTo("spec.endpoints[0].address");
    }

    @Test
    void simpleTlsOriginationWithCaFileSniAndSubjectAltNamesPerPort() throws Exception {
        assertThat(apply(DNS_ENTRY + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: api, namespace: default}
                spec:
                  host: api.example.com
                  trafficPolicy:
                    portLevelSettings:
                    - port: {number: 443}
                      tls: {mode: SIMPLE, caCertificates: /etc/certs/ca.pem, sni: api.example.com}
                """)).isNull();
        ProxyResources r = sidecar();
        assertThat(r.clusters().get("outbound|80||api.example.com").hasTransportSocket())
                .as("port-level settings apply to their port only").isFalse();
        Cluster c = r.clusters().get("outbound|443||api.example.com");
        assertThat(c.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
        UpstreamTlsContext tls = c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
        assertThat(tls.getSni()).isEqualTo("api.example.com");
        assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsList()).as("SIMPLE: no client cert").isEmpty();
        assertThat(tls.getCommonTlsContext().getAlpnProtocolsList()).isEmpty();
        CertificateValidationContext v = tls.getCommonTlsContext().getValidationContext();
        assertThat(v.getTrustedCa().getFilename()).isEqualTo("/etc/certs/ca.pem");
        assertThat(v.getMatchTypedSubjectAltNamesList()).singleElement().satisfies(m -> {
            assertThat(m.getSanType()).isEqualTo(SubjectAltNameMatcher.SanType.DNS);
            assertThat(m.getMatcher().getExact()).isEqualTo("api.example.com");
        });
        assertThat(unpackTls(sidecarIn("other").clusters().get("outbound|443||api.example.com")).getSni())
                .as("a DestinationRule of another namespace applies where none is closer (exported to all)")
                .isEqualTo("api.example.com");

        // explicit subjectAltNames replace the SNI; credentialName gives the CA by SDS
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: api, namespace: default}
                spec:
                  host: api.example.com
                  trafficPolicy:
                    tls: {mode: SIMPLE, credentialName: api-ca, subjectAltNames: [api.internal.example.com]}
                """)).isNull();
        tls = sidecar().clusters().get("outbound|443||api.example.com").getTransportSocket().getTypedConfig()
                .unpack(UpstreamTlsContext.class);
        assertThat(tls.getSni()).as("no sni: the host").isEqualTo("api.example.com");
        var combined = tls.getCommonTlsContext().getCombinedValidationContext();
        assertThat(combined.getValidationContextSdsSecretConfig().getName()).isEqualTo("kubernetes://api-ca-cacert");
        assertThat(combined.getValidationContextSdsSecretConfig().getSdsConfig().hasAds()).isTrue();
        assertThat(combined.getDefaultValidationContext().getMatchTypedSubjectAltNamesList()).singleElement()
                .satisfies(m -> assertThat(m.getMatcher().getExact()).isEqualTo("api.internal.example.com"));
    }

    @Test
    void mutualPresentsTheCredentialAndDisableTurnsMeshTlsOff() throws Exception {
        assertThat(apply(DNS_ENTRY + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: api, namespace: default}
                spec:
                  host: api.example.com
                  trafficPolicy:
                    tls: {mode: MUTUAL, credentialName: api-client}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews
                  trafficPolicy: {tls: {mode: DISABLE}}
                  subsets:
                  - name: v1
                    labels: {version: v1}
                    trafficPolicy: {tls: {mode: ISTIO_MUTUAL, sni: reviews.example}}
                """)).isNull();
        ProxyResources r = sidecar();
        UpstreamTlsContext tls = r.clusters().get("outbound|443||api.example.com").getTransportSocket().getTypedConfig()
                .unpack(UpstreamTlsContext.class);
        assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsList()).singleElement()
                .satisfies(s -> assertThat(s.getName()).isEqualTo("kubernetes://api-client"));
        assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getValidationContextSdsSecretConfig()
                .getName()).isEqualTo("kubernetes://api-client-cacert");
        assertThat(tls.getSni()).isEqualTo("api.example.com");

        assertThat(r.clusters().get("outbound|9080||" + REVIEWS).hasTransportSocket()).as("DISABLE").isFalse();
        assertThat(r.clusters().get("outbound|9080||" + REVIEWS).hasOutlierDetection()).isTrue();
        UpstreamTlsContext v1 = r.clusters().get("outbound|9080|v1|" + REVIEWS).getTransportSocket().getTypedConfig()
                .unpack(UpstreamTlsContext.class);
        assertThat(v1.getSni()).as("ISTIO_MUTUAL with sni").isEqualTo("reviews.example");
        assertThat(v1.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo(XdsNames.WORKLOAD_SECRET);
        assertThat(v1.getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
                .getMatchTypedSubjectAltNames(0).getMatcher().getExact()).isEqualTo("spiffe://cluster.local/ns/default/sa/reviews");
    }

    @Test
    void tlsSettingsWithoutAWayToVerifyOrWithoutAClientCertificateAreRejected() throws Exception {
        ConfigException noCa = apply("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: api, namespace: default}
                spec:
                  host: api.example.com
                  trafficPolicy: {tls: {mode: SIMPLE, sni: api.example.com}}
                """);
        assertThat(noCa).isNotNull();
        assertThat(noCa.field()).isEqualTo("spec.trafficPolicy.tls.caCertificates");
        assertThat(noCa.reason()).contains("caCertificates", "credentialName", "insecureSkipVerify", "system");
        ConfigException portLevel = apply("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: api2, namespace: default}
                spec:
                  host: api.example.com
                  trafficPolicy: {portLevelSettings: [{port: {number: 443}, tls: {mode: MUTUAL, caCertificates: /ca.pem}}]}
                """);
        assertThat(portLevel.field()).isEqualTo("spec.trafficPolicy.portLevelSettings[0].tls.credentialName");
        ConfigException files = apply("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: api3, namespace: default}
                spec:
                  host: api.example.com
                  trafficPolicy: {tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem, credentialName: x}}
                """);
        assertThat(files.field()).isEqualTo("spec.trafficPolicy.tls.clientCertificate");
        ConfigException disable = apply("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: api4, namespace: default}
                spec:
                  host: api.example.com
                  trafficPolicy: {tls: {mode: DISABLE, sni: x}}
                """);
        assertThat(disable.field()).isEqualTo("spec.trafficPolicy.tls.sni");
        // the good resources are still served
        assertThat(apply(DNS_ENTRY + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: api5, namespace: default}
                spec:
                  host: api.example.com
                  trafficPolicy: {tls: {mode: SIMPLE, insecureSkipVerify: true}}
                """)).isNull();
        assertThat(config.rejected()).hasSize(4);
        UpstreamTlsContext tls = unpackTls(sidecar().clusters().get("outbound|443||api.example.com"));
        assertThat(tls.getSni()).isEqualTo("api.example.com");
        assertThat(tls.getCommonTlsContext().hasValidationContext()).as("insecureSkipVerify").isFalse();
        assertThat(tls.getCommonTlsContext().hasCombinedValidationContext()).isFalse();
    }

    @Test
    void sidecarsUseOnlyTheRoutesBoundToMesh() throws Exception {
        assertThat(apply(DNS_ENTRY + """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: api-via-egress, namespace: default}
                spec:
                  hosts: [api.example.com]
                  gateways: [mesh, istio-system/egress]
                  http:
                  - match: [{gateways: [istio-system/egress], port: 443}]
                    route: [{destination: {host: api.example.com, port: {number: 443}}}]
                  - match: [{gateways: [mesh], port: 80}]
                    route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews-at-ingress, namespace: default}
                spec:
                  hosts: [reviews]
                  gateways: [istio-system/ingress]
                  http:
                  - route: [{destination: {host: reviews, subset: v2}}]
                """)).isNull();
        ProxyResources r = sidecar();
        VirtualHost api = vhost(r.routes().get(XdsNames.outboundRoute(80)), "api.example.com:80");
        assertThat(api.getRoutesList()).singleElement().satisfies(route -> {
            assertThat(route.getMatch().getPrefix()).isEqualTo("/");
            assertThat(route.getRoute().getCluster()).as("only the mesh route; the gateway's only port")
                    .isEqualTo("outbound|443||" + EGRESS);
        });
        VirtualHost reviews = vhost(r.routes().get(XdsNames.outboundRoute(9080)), REVIEWS + ":9080");
        assertThat(reviews.getRoutesList()).singleElement().satisfies(route -> assertThat(route.getRoute().getCluster())
                .as("a VirtualService for a gateway only is not the sidecars'").isEqualTo("outbound|9080||" + REVIEWS));
        // the route to the egress gateway is ordinary mesh mTLS
        UpstreamTlsContext tls = unpackTls(r.clusters().get("outbound|443||" + EGRESS));
        assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo(XdsNames.WORKLOAD_SECRET);
    }

    @Test
    void registryOnlyMeshWideAddsBlockAllAndANamespaceSidecarOverridesItBothWays() throws Exception {
        assertThat(sidecar().routes().get(XdsNames.outboundRoute(9080)).getVirtualHostsList())
                .as("ALLOW_ANY by default: no catch-all").noneMatch(vh -> vh.getName().equals("block_all"));
        assertThat(apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: isthmus-system}
                data:
                  mesh: |
                    accessLogFile: /dev/stdout
                    outboundTrafficPolicy:
                      mode: REGISTRY_ONLY
                ---
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: default, namespace: open}
                spec:
                  outboundTrafficPolicy: {mode: ALLOW_ANY}
                """)).isNull();
        RouteConfiguration rc = sidecar().routes().get(XdsNames.outboundRoute(9080));
        VirtualHost last = rc.getVirtualHosts(rc.getVirtualHostsCount() - 1);
        assertThat(last.getName()).isEqualTo("block_all");
        assertThat(last.getDomainsList()).containsExactly("*");
        assertThat(last.getRoutesList()).singleElement().satisfies(route -> {
            assertThat(route.getMatch().getPrefix()).isEqualTo("/");
            assertThat(route.getDirectResponse().getStatus()).isEqualTo(502);
        });
        assertThat(rc.getVirtualHosts(0).getName()).isEqualTo(REVIEWS + ":9080");
        assertThat(sidecarIn("open").routes().get(XdsNames.outboundRoute(9080)).getVirtualHostsList())
                .as("the namespace's Sidecar says ALLOW_ANY").noneMatch(vh -> vh.getName().equals("block_all"));

        // mesh-wide ALLOW_ANY (a ConfigMap elsewhere means nothing), one namespace REGISTRY_ONLY
        apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: isthmus-system}
                data:
                  mesh: |
                    outboundTrafficPolicy: {mode: ALLOW_ANY}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: elsewhere}
                data:
                  mesh: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}"
                ---
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: default, namespace: locked}
                spec:
                  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
                """);
        assertThat(sidecar().routes().get(XdsNames.outboundRoute(9080)).getVirtualHostsList())
                .noneMatch(vh -> vh.getName().equals("block_all"));
        rc = sidecarIn("locked").routes().get(XdsNames.outboundRoute(9080));
        assertThat(rc.getVirtualHosts(rc.getVirtualHostsCount() - 1).getName()).isEqualTo("block_all");
    }

    @Test
    void aBadMeshConfigIsRejectedWithItsField() {
        ConfigException e = apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: isthmus-system}
                data:
                  mesh: "outboundTrafficPolicy: {mode: SOMETIMES}"
                """);
        assertThat(e).isNotNull();
        assertThat(e.field()).isEqualTo("data.mesh.outboundTrafficPolicy.mode");
        assertThat(e.reason()).contains("REGISTRY_ONLY", "SOMETIMES");
    }

    private static VirtualHost vhost(RouteConfiguration rc, String name) {
        return rc.getVirtualHostsList().stream().filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
    }

    private static UpstreamTlsContext unpackTls(Cluster c) throws Exception {
        return Fixtures.meshTls(c);
    }

    private static String address(LbEndpoint e) {
        var sa = e.getEndpoint().getAddress().getSocketAddress();
        return sa.getAddress() + ":" + sa.getPortValue();
    }
}
