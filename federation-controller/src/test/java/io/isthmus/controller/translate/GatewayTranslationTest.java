package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.ProxyMetadata;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Ingress and egress gateways (routers without a requested network view): Gateway servers become listeners and routes. */
class GatewayTranslationTest {
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    static final String GATEWAY = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: public, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: ["*"]
              - port: {number: 8443, name: https, protocol: HTTPS}
                hosts: [a.example.com]
                tls: {mode: SIMPLE, credentialName: a-cert}
              - port: {number: 8443, name: https-b, protocol: HTTPS}
                hosts: [b.example.com]
                tls: {mode: SIMPLE, credentialName: b-cert}
              - port: {number: 9443, name: mtls, protocol: HTTPS}
                hosts: [m.example.com]
                tls: {mode: MUTUAL, credentialName: m-cert}
              - port: {number: 9444, name: tls, protocol: TLS}
                hosts: ["*.pass.example.com"]
                tls: {mode: PASSTHROUGH}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: front, namespace: default}
            spec:
              hosts: [a.example.com, b.example.com, m.example.com]
              gateways: [istio-system/public]
              http:
              - match:
                - uri: {prefix: /only-8080}
                  port: 8080
                route:
                - destination: {host: reviews, subset: v1}
              - match:
                - gateways: [istio-system/other]
                route:
                - destination: {host: nowhere}
              - route:
                - destination: {host: reviews}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: pass, namespace: default}
            spec:
              hosts: ["x.pass.example.com", "y.pass.example.com"]
              gateways: [istio-system/public]
              tls:
              - match:
                - sniHosts: [x.pass.example.com, y.pass.example.com]
                route:
                - destination: {host: reviews, port: {number: 9443}}
            """;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        r.putService(new ClusterService("west", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.2.0.10", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1"))));
        r.replaceGateways("west", List.of(new NetworkGateway("net-west", "west", "10.255.0.2", 15443)));
        translator = translator(r, config);
    }

    private void apply(String yaml) {
        assertThat(Fixtures.apply(config, translator, yaml)).as("accepted").isNull();
    }

    static ProxyView ingress(String istioLabel, String extraKey, String extraValue) {
        Struct.Builder md = Struct.newBuilder()
                .putFields(ProxyMetadata.CLUSTER_ID, str("east"))
                .putFields(ProxyMetadata.NETWORK, str("net-east"))
                .putFields(ProxyMetadata.NAMESPACE, str("istio-system"))
                .putFields(ProxyMetadata.SERVICE_ACCOUNT, str("istio-ingressgateway"))
                .putFields(ProxyMetadata.INSTANCE_IPS, str("10.1.0.50"))
                .putFields(ProxyMetadata.LABELS, com.google.protobuf.Value.newBuilder().setStructValue(Struct.newBuilder()
                        .putFields("istio", str(istioLabel)).putFields("app", str("istio-ingressgateway"))).build());
        if (extraKey != null) {
            md.putFields(extraKey, str(extraValue));
        }
        Locality l = EAST_A;
        return ProxyView.fromNode(Node.newBuilder()
                .setId(ProxyMetadata.nodeId("router", "10.1.0.50", "ingress-0", "istio-system"))
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion(l.region()).setZone(l.zone()))
                .setMetadata(md).build());
    }

    static HttpConnectionManager hcm(FilterChain fc) throws Exception {
        return fc.getFilters(fc.getFiltersCount() - 1).getTypedConfig().unpack(HttpConnectionManager.class);
    }

    @Test
    void serversBecomeListenersChainsAndRoutes() throws Exception {
        apply(GATEWAY);
        ProxyResources r = translator.resourcesFor(ingress("ingressgateway", null, null));
        assertThat(r.listeners()).containsOnlyKeys("0.0.0.0_8080", "0.0.0.0_8443", "0.0.0.0_9443", "0.0.0.0_9444");
        assertThat(r.clusters()).containsKey("outbound|9080||" + REVIEWS);
        assertThat(r.endpoints().get("outbound|9080||" + REVIEWS).getEndpointsList()).hasSize(2);

        Listener http = r.listeners().get("0.0.0.0_8080");
        assertThat(http.getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
        assertThat(http.getAddress().getSocketAddress().getPortValue()).isEqualTo(8080);
        assertThat(http.getListenerFiltersList()).isEmpty();
        assertThat(http.getFilterChainsList()).singleElement().satisfies(fc -> assertThat(fc.hasFilterChainMatch()).isFalse());
        HttpConnectionManager h = hcm(http.getFilterChains(0));
        assertThat(h.getRds().getRouteConfigName()).isEqualTo("http.8080");
        assertThat(h.getStatPrefix()).isEqualTo("outbound_0.0.0.0_8080");
        assertThat(h.getUseRemoteAddress().getValue()).isTrue();
        assertThat(h.getXffNumTrustedHops()).isZero();
        assertThat(h.getMaxRequestHeadersKb().getValue()).isEqualTo(60);
        assertThat(h.getHttpFiltersList()).extracting(HttpFilter::getName)
                .containsExactly("istio.metadata_exchange", "envoy.filters.http.cors", "envoy.filters.http.fault", "envoy.filters.http.router");

        RouteConfiguration rc = r.routes().get("http.8080");
        assertThat(rc.getVirtualHostsList()).extracting(VirtualHost::getName)
                .containsExactly("a.example.com:8080", "b.example.com:8080", "m.example.com:8080");
        VirtualHost a = rc.getVirtualHosts(0);
        assertThat(a.getDomainsList()).containsExactly("a.example.com", "a.example.com:8080");
        assertThat(a.getRequireTls()).isEqualTo(VirtualHost.TlsRequirementType.NONE);
        // match.port 8080 kept, match.gateways naming another gateway dropped, the rest kept
        assertThat(a.getRoutesList()).extracting(x -> x.getRoute().getCluster())
                .containsExactly("outbound|9080|v1|" + REVIEWS, "outbound|9080||" + REVIEWS);
        assertThat(a.getRoutes(1).getRoute().getRetryPolicy().getNumRetries().getValue()).isEqualTo(2);

        Listener https = r.listeners().get("0.0.0.0_8443");
        assertThat(https.getListenerFilters(0).getName()).isEqualTo("envoy.filters.listener.tls_inspector");
        assertThat(https.getFilterChainsList()).hasSize(2);
        for (int i = 0; i < 2; i++) {
            String host = i == 0 ? "a.example.com" : "b.example.com";
            String secret = i == 0 ? "kubernetes://a-cert" : "kubernetes://b-cert";
            FilterChain fc = https.getFilterChains(i);
            assertThat(fc.getFilterChainMatch().getServerNamesList()).containsExactly(host);
            assertThat(fc.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
            DownstreamTlsContext tls = fc.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
            assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo(secret);
            assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getSdsConfig().hasAds()).isTrue();
            assertThat(tls.getCommonTlsContext().getAlpnProtocolsList()).containsExactly("h2", "http/1.1");
            assertThat(tls.getCommonTlsContext().hasValidationContextSdsSecretConfig()).isFalse();
            assertThat(tls.hasRequireClientCertificate()).isFalse();
        }
        assertThat(hcm(https.getFilterChains(0)).getRds().getRouteConfigName()).isEqualTo("https.8443.https.public.istio-system");
        assertThat(hcm(https.getFilterChains(1)).getRds().getRouteConfigName()).isEqualTo("https.8443.https-b.public.istio-system");
        RouteConfiguration ra = r.routes().get("https.8443.https.public.istio-system");
        assertThat(ra.getVirtualHostsList()).extracting(VirtualHost::getName).containsExactly("a.example.com:8443");
        assertThat(ra.getVirtualHosts(0).getRoutesList()).extracting(x -> x.getRoute().getCluster())
                .containsExactly("outbound|9080||" + REVIEWS);

        DownstreamTlsContext mtls = r.listeners().get("0.0.0.0_9443").getFilterChains(0).getTransportSocket().getTypedConfig()
                .unpack(DownstreamTlsContext.class);
        assertThat(mtls.getRequireClientCertificate().getValue()).isTrue();
        assertThat(mtls.getCommonTlsContext().getValidationContextSdsSecretConfig().getName()).isEqualTo("kubernetes://m-cert-cacert");

        Listener pass = r.listeners().get("0.0.0.0_9444");
        assertThat(pass.getListenerFilters(0).getName()).isEqualTo("envoy.filters.listener.tls_inspector");
        assertThat(pass.getFilterChainsList()).hasSize(2).allSatisfy(fc -> {
            assertThat(fc.hasTransportSocket()).isFalse();
            TcpProxy tcp = fc.getFilters(0).getTypedConfig().unpack(TcpProxy.class);
            assertThat(tcp.getCluster()).isEqualTo("outbound|9443||" + REVIEWS);
        });
        assertThat(pass.getFilterChainsList()).extracting(fc -> fc.getFilterChainMatch().getServerNames(0))
                .containsExactly("x.pass.example.com", "y.pass.example.com");
    }

    @Test
    void httpsRedirectAnnotationsAuthorizationAndConflicts() throws Exception {
        apply("""
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata:
                  name: edge
                  namespace: istio-system
                  annotations:
                    isthmus.io/max-request-headers-kb: "16"
                    isthmus.io/rate-limit-per-client: "5/m"
                    isthmus.io/max-connections: "200"
                spec:
                  selector: {istio: ingressgateway}
                  servers:
                  - port: {number: 8080, name: http, protocol: HTTP}
                    hosts: [a.example.com]
                    tls: {httpsRedirect: true}
                ---
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: later, namespace: istio-system}
                spec:
                  selector: {istio: ingressgateway}
                  servers:
                  - port: {number: 8080, name: https, protocol: HTTPS}
                    hosts: [c.example.com]
                    tls: {mode: SIMPLE, credentialName: c-cert}
                  - port: {number: 8081, name: http, protocol: HTTP}
                    hosts: [c.example.com]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: front, namespace: istio-system}
                spec:
                  hosts: [a.example.com, c.example.com]
                  gateways: [edge, later]
                  http:
                  - route:
                    - destination: {host: reviews.default.svc.cluster.local}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: only-get, namespace: istio-system}
                spec:
                  selector: {matchLabels: {istio: ingressgateway}}
                  rules:
                  - to:
                    - operation: {methods: [GET]}
                """);
        ProxyResources r = translator.resourcesFor(ingress("ingressgateway", null, null));
        // the later Gateway's HTTPS server on the HTTP port 8080 is dropped, its other server kept
        assertThat(r.listeners()).containsOnlyKeys("0.0.0.0_8080", "0.0.0.0_8081");
        FilterChain fc = r.listeners().get("0.0.0.0_8080").getFilterChains(0);
        assertThat(fc.getFilters(0).getName()).isEqualTo("envoy.filters.network.connection_limit");
        assertThat(fc.getFilters(0).getTypedConfig().unpack(ConnectionLimit.class).getMaxConnections().getValue()).isEqualTo(200);
        HttpConnectionManager h = hcm(fc);
        assertThat(h.getMaxRequestHeadersKb().getValue()).isEqualTo(16);
        assertThat(h.getHttpFiltersList()).extracting(HttpFilter::getName)
                .containsExactly("istio.metadata_exchange", "envoy.filters.http.rbac", "envoy.filters.http.local_ratelimit", "envoy.filters.http.cors",
                        "envoy.filters.http.fault", "envoy.filters.http.router");
        LocalRateLimit rl = h.getHttpFilters(2).getTypedConfig().unpack(LocalRateLimit.class);
        assertThat(rl.getDescriptors(0).getEntries(0).getKey()).isEqualTo("remote_address");
        assertThat(rl.getDescriptors(0).getTokenBucket().getMaxTokens()).isEqualTo(5);
        assertThat(rl.getDescriptors(0).getTokenBucket().getFillInterval().getSeconds()).isEqualTo(60);
        assertThat(rl.getStatus().getCodeValue()).isEqualTo(429);
        assertThat(rl.getResponseHeadersToAdd(0).getHeader().getKey()).isEqualTo("x-local-rate-limit");
        VirtualHost a = r.routes().get("http.8080").getVirtualHosts(0);
        assertThat(a.getName()).isEqualTo("a.example.com:8080");
        assertThat(a.getRequireTls()).isEqualTo(VirtualHost.TlsRequirementType.ALL);
        assertThat(r.routes().get("http.8081").getVirtualHostsList()).extracting(VirtualHost::getName)
                .containsExactly("c.example.com:8081");
        // the unannotated Gateway's chain has neither limit nor rate filter
        FilterChain c = r.listeners().get("0.0.0.0_8081").getFilterChains(0);
        assertThat(c.getFiltersList()).hasSize(1);
        assertThat(hcm(c).getHttpFiltersList()).extracting(HttpFilter::getName)
                .containsExactly("istio.metadata_exchange", "envoy.filters.http.rbac", "envoy.filters.http.cors", "envoy.filters.http.fault",
                        "envoy.filters.http.router");
    }

    @Test
    void bareGatewayNamesBindInTheVirtualServicesNamespaceOnly() throws Exception {
        apply(GATEWAY.replace("gateways: [istio-system/public]\n  http:", "gateways: [public]\n  http:"));
        ProxyResources r = translator.resourcesFor(ingress("ingressgateway", null, null));
        // "public" in namespace default names default/public, not istio-system/public
        assertThat(r.routes().get("http.8080").getVirtualHostsList()).isEmpty();
        assertThat(r.routes().get("https.8443.https.public.istio-system").getVirtualHostsList()).isEmpty();
    }

    @Test
    void egressGatewayTerminatesMeshMtlsAndRoutesByMatchGateways() throws Exception {
        apply("""
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: egress, namespace: istio-system}
                spec:
                  selector: {istio: egressgateway}
                  servers:
                  - port: {number: 8443, name: https, protocol: HTTPS}
                    hosts: [api.external.test]
                    tls: {mode: ISTIO_MUTUAL}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: api, namespace: default}
                spec:
                  hosts: [api.external.test]
                  gateways: [mesh, istio-system/egress]
                  http:
                  - match:
                    - gateways: [mesh]
                    route:
                    - destination: {host: istio-egressgateway.istio-system.svc.cluster.local, port: {number: 443}}
                  - match:
                    - gateways: [istio-system/egress]
                    route:
                    - destination: {host: api.external.test, port: {number: 443}}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: deny-client, namespace: istio-system}
                spec:
                  selector: {matchLabels: {istio: egressgateway}}
                  action: DENY
                  rules:
                  - from:
                    - source: {principals: ["cluster.local/ns/default/sa/client"]}
                """);
        ProxyResources r = translator.resourcesFor(ingress("egressgateway", null, null));
        FilterChain fc = r.listeners().get("0.0.0.0_8443").getFilterChains(0);
        assertThat(fc.getFilterChainMatch().getServerNamesList())
                .containsExactly("api.external.test", "*.istio-system.svc.cluster.local");
        DownstreamTlsContext tls = fc.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
        assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo("default");
        assertThat(tls.getCommonTlsContext().getValidationContextSdsSecretConfig().getName()).isEqualTo("ROOTCA");
        assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
        HttpConnectionManager h = hcm(fc);
        assertThat(h.getHttpFiltersList()).extracting(HttpFilter::getName)
                .containsExactly("istio.metadata_exchange", "envoy.filters.http.rbac", "envoy.filters.http.cors", "envoy.filters.http.fault",
                        "envoy.filters.http.router");
        assertThat(h.getForwardClientCertDetails()).isEqualTo(HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET);
        VirtualHost vh = r.routes().get("https.8443.https.egress.istio-system").getVirtualHosts(0);
        assertThat(vh.getDomainsList()).containsExactly("api.external.test", "api.external.test:8443");
        assertThat(vh.getRoutesList()).extracting(x -> x.getRoute().getCluster())
                .containsExactly("outbound|443||api.external.test");
    }

    @Test
    void otherRoutersAndSidecarsAreUnchanged() throws Exception {
        apply(GATEWAY);
        assertThat(translator.resourcesFor(ingress("egressgateway", null, null)).listeners()).isEmpty();
        ProxyResources eastWest = translator.resourcesFor(ingress("ingressgateway", ProxyMetadata.REQUESTED_NETWORK_VIEW, "net-east"));
        assertThat(eastWest.listeners()).isEmpty();
        assertThat(eastWest.routes()).isEmpty();
        assertThat(eastWest.endpoints().get("outbound|9080||" + REVIEWS).getEndpoints(0).getLbEndpointsList())
                .singleElement().satisfies(e -> assertThat(e.getEndpoint().getAddress().getSocketAddress().getAddress())
                        .isEqualTo("10.1.0.10"));
        ProxyResources sidecar = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A));
        assertThat(sidecar.listeners()).doesNotContainKey("0.0.0.0_8080").containsKey(io.isthmus.mesh.XdsNames.outboundListener(9080));
        // the gateway-bound VirtualService does not apply to sidecars
        assertThat(sidecar.routes().get("9080").getVirtualHosts(0).getRoutes(0).getName()).isEqualTo("default");
    }
}
