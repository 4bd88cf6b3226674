package io.isthmus.sidecar;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.XdsNames;
import io.isthmus.sidecar.admin.EndpointStatus;
import io.isthmus.sidecar.cert.TestCa;
import io.isthmus.sidecar.dns.DnsProxyTest;
import io.isthmus.sidecar.xds.ResourceHandler;
import io.isthmus.sidecar.xds.XdsResourceType;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLPeerUnverifiedException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Optional;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The whole proxy assembly: CA over TLS with a token, ADS over mTLS, static + dynamic config, admin, health, DNS. */
class SidecarTest {
    static final String REVIEWS = "reviews.default.svc.cluster.local";
    static final String CLUSTER = "outbound|9080||" + REVIEWS;

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();
    final Set<String> adsPeers = ConcurrentHashMap.newKeySet();
    TestCa ca;
    Sidecar sidecar;
    FakeEngine engine;

    @AfterEach
    void tearDown() throws Exception {
        if (sidecar != null) {
            sidecar.close();
        }
        if (ca != null) {
            ca.close();
        }
    }

    /** A data plane stand-in recording what it is given. */
    static final class FakeEngine implements ProxyEngine {
        final Map<XdsResourceType, Map<String, ? extends Message>> applied = new ConcurrentHashMap<>();
        volatile boolean closed;

        private <T extends Message> ResourceHandler<T> rec(XdsResourceType t) {
            return (resources, version) -> applied.put(t, resources);
        }

        @Override
        public ResourceHandler<Listener> listeners() {
            return rec(XdsResourceType.LISTENER);
        }

        @Override
        public ResourceHandler<RouteConfiguration> routes() {
            return rec(XdsResourceType.ROUTE);
        }

        @Override
        public ResourceHandler<Cluster> clusters() {
            return rec(XdsResourceType.CLUSTER);
        }

        @Override
        public ResourceHandler<ClusterLoadAssignment> endpoints() {
            return rec(XdsResourceType.ENDPOINT);
        }

        @Override
        public List<EndpointStatus> endpointStatus() {
            List<EndpointStatus> out = new ArrayList<>();
            applied.getOrDefault(XdsResourceType.ENDPOINT, Map.of()).forEach((name, m) -> {
                var sa = ((ClusterLoadAssignment) m).getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress()
                        .getSocketAddress();
                out.add(new EndpointStatus(name, sa.getAddress(), sa.getPortValue(), Locality.of("r", "z"), 0, 1,
                        "HEALTHY", false, 0, EndpointStatus.PLAINTEXT));
            });
            return out;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void aProxyWithADnsProxyResolvesItsOwnNamesPastItUnlessTheJvmResolvesFromAHostsFileOfItsOwn() {
        Optional<InetSocketAddress> dns = Optional.of(new InetSocketAddress("127.0.0.1", 53));
        assertThat(Sidecar.ownLookupsPastTheDnsProxy(dns, null)).isTrue();
        assertThat(Sidecar.ownLookupsPastTheDnsProxy(dns, "/tmp/pod-hosts"))
                .as("jdk.net.hosts.file: the JDK asks no DNS server, so neither the DNS proxy").isFalse();
        assertThat(Sidecar.ownLookupsPastTheDnsProxy(Optional.empty(), null)).as("no DNS proxy: the JDK's resolver").isFalse();
    }

    String bootstrap(int xdsPort) {
        return """
                node:
                  id: sidecar~10.1.0.5~reviews-v1-0.default~default.svc.cluster.local
                  cluster: reviews
                  locality: {region: r, zone: z}
                  metadata: {CLUSTER_ID: east, NETWORK: net-east, NAMESPACE: default, SERVICE_ACCOUNT: reviews}
                dynamic_resources:
                  ads_config: {api_type: GRPC, grpc_services: [{envoy_grpc: {cluster_name: xds-grpc}}]}
                static_resources:
                  clusters:
                  - name: xds-grpc
                    type: STATIC
                    load_assignment:
                      cluster_name: xds-grpc
                      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %d}}}}]}]
                    transport_socket:
                      name: envoy.transport_sockets.tls
                      typed_config:
                        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                        sni: isthmus-controller.isthmus-system.svc
                  - name: inbound|9080||
                    type: STATIC
                    load_assignment:
                      cluster_name: inbound|9080||
                      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 9080}}}}]}]
                """.formatted(xdsPort);
    }

    SimpleCache<String> startControlPlane(TestPki pki) throws Exception {
        SimpleCache<String> cache = new SimpleCache<>(node -> "all");
        V3DiscoveryServer server = new V3DiscoveryServer(cache);
        ServerInterceptor peers = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                             ServerCallHandler<Q, R> next) {
                var session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                try {
                    if (session != null) {
                        adsPeers.add(io.isthmus.sidecar.tls.SpiffeIdentity.uriSan((X509Certificate) session.getPeerCertificates()[0]).orElse(""));
                    }
                } catch (SSLPeerUnverifiedException e) {
                    adsPeers.add("none");
                }
                return next.startCall(call, headers);
            }
        };
        ca = new TestCa(pki, "east", Duration.ofHours(24),
                ServerInterceptors.intercept(server.getAggregatedDiscoveryServiceImpl(), peers));
        ca.tokens.put("secret-token", SpiffeId.of(TestPki.TRUST_DOMAIN, "default", "reviews"));
        return cache;
    }

    SidecarConfig config(int xdsPort) throws Exception {
        Path b = dir.resolve("bootstrap.yaml");
        Files.writeString(b, bootstrap(xdsPort));
        Path token = dir.resolve("token");
        Files.writeString(token, "secret-token\n");
        return SidecarConfig.builder(b).rootCert(dir.resolve("pki/root/root-cert.pem")).tokenFile(token)
                .adminPort(0).healthPort(0).metricsPort(0).healthAddress("127.0.0.1")
                .dnsAddress(new InetSocketAddress("127.0.0.1", 0)).drainTime(Duration.ZERO).build();
    }

    HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void obtainsCertificateThenConfigOverMutualTlsAndBecomesReady() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        SimpleCache<String> cache = startControlPlane(pki);
        cache.setSnapshot("all", io.isthmus.sidecar.xds.TestSnapshots.service("1", REVIEWS, 9080, "10.1.0.7"));

        engine = new FakeEngine();
        sidecar = Sidecar.start(config(ca.port()), ctx -> {
            assertThat(ctx.node().clusterId()).isEqualTo("east");
            return engine;
        });
        sidecar.whenReady().get(30, TimeUnit.SECONDS);

        assertThat(sidecar.certificates().certificate().orElseThrow().spiffeId())
                .isEqualTo("spiffe://cluster.local/ns/default/sa/reviews");
        assertThat(adsPeers).as("ADS ran over mTLS with the issued certificate")
                .contains("spiffe://cluster.local/ns/default/sa/reviews");
        assertThat(engine.applied.get(XdsResourceType.CLUSTER)).containsOnlyKeys("inbound|9080||", CLUSTER);
        assertThat(engine.applied.get(XdsResourceType.LISTENER)).containsOnlyKeys(XdsNames.outboundListener(9080));

        assertThat(get(sidecar.healthPort(), "/healthz/ready").statusCode()).isEqualTo(200);
        var dump = get(sidecar.adminPort(), "/config_dump");
        assertThat(dump.statusCode()).isEqualTo(200);
        assertThat(dump.body()).contains(CLUSTER).contains("\"version_info\" : \"1\"").contains("inbound|9080||")
                .contains("spiffe://cluster.local/ns/default/sa/reviews").doesNotContain("PRIVATE KEY")
                .contains("\"connected\" : true").contains("\"server\" : \"isthmus-controller.isthmus-system.svc\"");
        assertThat(get(sidecar.adminPort(), "/clusters").body()).contains(CLUSTER + "::10.1.0.7:9080::health_flags::HEALTHY");
        assertThat(get(sidecar.adminPort(), "/clusters?format=json").body()).contains("\"address\" : \"10.1.0.7\"");
        var metrics = get(sidecar.metricsPort(), "/stats/prometheus");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("isthmus_xds_connected 1")
                .contains("isthmus_xds_updates_total{result=\"applied\",type=\"CDS\"} 1")
                .contains("isthmus_certificate_expiry_seconds");
        assertThat(get(sidecar.adminPort(), "/logging").body()).contains("io.isthmus.sidecar");

        var answer = DnsProxyTest.ask(sidecar.dnsAddress().orElseThrow(), DnsProxyTest.query(1, REVIEWS, DnsProxyTest.A));
        assertThat(InetAddress.getByAddress(answer.firstAddress()).getHostAddress()).isEqualTo(XdsNames.OUTBOUND_BIND_ADDRESS);

        sidecar.close();
        assertThat(engine.closed).isTrue();
        assertThat(sidecar.ready()).isFalse();
    }

    @Test
    void staysUnreadyWithoutAControlPlaneButServesHealthAndAdmin() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        startControlPlane(pki); // the CA answers; no snapshot, so no config ever arrives
        engine = new FakeEngine();
        sidecar = Sidecar.start(config(ca.port()), ctx -> engine);
        await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.certificates().certificate().isPresent());

        var health = get(sidecar.healthPort(), "/healthz/ready");
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(health.body()).contains("config").doesNotContain("certificate");
        assertThat(engine.applied.get(XdsResourceType.CLUSTER)).containsOnlyKeys("inbound|9080||");
        assertThat(get(sidecar.adminPort(), "/config_dump").statusCode()).isEqualTo(200);
    }
}
