package io.isthmus.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.isthmus.mesh.XdsNames;
import io.isthmus.sidecar.cert.TestCa;
import io.isthmus.sidecar.testing.GatewayXds;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.testing.TestCertificates;
import io.isthmus.trust.testing.TestPki;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole proxy in router mode as an ingress gateway, configured over ADS in the gateway shapes:
 * its HTTPS listener waits for the {@code kubernetes://} credential, terminates TLS with it for its
 * host, routes to the app, and presents a new version of the secret at the next handshake.
 */
class IngressGatewayTest {
    static final String NODE = "router~127.0.0.1~istio-ingressgateway-0.istio-system~istio-system.svc.cluster.local";

    @TempDir
    Path dir;
    final Vertx vertx = Vertx.vertx();
    Sidecar gateway;
    TestCa ca;

    @AfterEach
    void tearDown() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (ca != null) {
            ca.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    Snapshot snapshot(String version, int appPort, int port, CertifiedKey cert, TestPki pki) {
        String cluster = "outbound|9080||reviews.default.svc.cluster.local";
        Secret root = GatewayXds.caSecret(XdsNames.ROOT_SECRET, pki.rootCertificate());
        return Snapshot.create(
                List.of(Xds.staticCluster(cluster, "127.0.0.1", appPort)), List.of(),
                List.of(GatewayXds.listener("0.0.0.0_" + port, "127.0.0.1", port,
                        GatewayXds.chain(List.of("bookinfo.example.com"), Optional.of(GatewayXds.tls("kubernetes://bookinfo-cred",
                                Optional.empty())), GatewayXds.hcmFilter(GatewayXds.hcm("https." + port + ".https.bookinfo.default", 0))))),
                List.of(Xds.routes("https." + port + ".https.bookinfo.default", Xds.vhost("bookinfo.example.com:" + port,
                        List.of("bookinfo.example.com", "bookinfo.example.com:" + port), Xds.prefixRoute("/", cluster)))),
                List.of(root, GatewayXds.certificateSecret("kubernetes://bookinfo-cred", cert)), version);
    }

    BigInteger serial(HttpClient client, int port) throws Exception {
        RequestOptions r = new RequestOptions().setHost("bookinfo.example.com").setPort(port).setURI("/productpage")
                .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"));
        return client.request(r).compose(req -> req.send().compose(resp -> resp.body().map(b -> {
            assertThat(resp.statusCode()).isEqualTo(200);
            assertThat(b.toString()).isEqualTo("productpage");
            try {
                return ((X509Certificate) req.connection().peerCertificates().get(0)).getSerialNumber();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }))).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void servesItsHostWithTheCredentialFromSdsAndRotatesIt() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        SimpleCache<String> cache = new SimpleCache<>(node -> node.getId());
        V3DiscoveryServer ads = new V3DiscoveryServer(cache);
        ca = new TestCa(pki, "east", Duration.ofHours(24), ads.getAggregatedDiscoveryServiceImpl().bindService());
        int appPort = freePort();
        int port = freePort();
        vertx.createHttpServer().requestHandler(req -> req.response().end("productpage"))
                .listen(appPort, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        CertifiedKey ingressCa = TestCertificates.subCa(pki.root(), "ingress");
        CertifiedKey first = TestCertificates.leaf(ingressCa, List.of(TestCertificates.dns("bookinfo.example.com")));
        cache.setSnapshot(NODE, snapshot("1", appPort, port, first, pki));

        Path b = dir.resolve("gateway.yaml");
        Files.writeString(b, """
                node:
                  id: %s
                  cluster: istio-ingressgateway
                  metadata: {CLUSTER_ID: east, NETWORK: net-east, NAMESPACE: istio-system, SERVICE_ACCOUNT: istio-ingressgateway, WORKLOAD_NAME: istio-ingressgateway, LABELS: {istio: ingressgateway}}
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
                """.formatted(NODE, ca.port()));
        Path token = dir.resolve("gateway.token");
        Files.writeString(token, "token-gateway");
        ca.tokens.put("token-gateway", SpiffeId.of(TestPki.TRUST_DOMAIN, "istio-system", "istio-ingressgateway"));
        gateway = Sidecar.start(SidecarConfig.builder(b).mode(SidecarConfig.Mode.ROUTER).rootCert(dir.resolve("pki/root/root-cert.pem"))
                .tokenFile(token).adminPort(0).healthPort(0).metricsPort(0).healthAddress("127.0.0.1")
                .drainTime(Duration.ZERO).build());
        gateway.whenReady().get(30, TimeUnit.SECONDS);

        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false)
                .setForceSni(true).setKeepAlive(false));
        assertThat(serial(client, port)).isEqualTo(first.certificate().getSerialNumber());

        CertifiedKey second = TestCertificates.leaf(ingressCa, List.of(TestCertificates.dns("bookinfo.example.com")));
        cache.setSnapshot(NODE, snapshot("2", appPort, port, second, pki));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            HttpClient fresh = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false)
                    .setForceSni(true).setKeepAlive(false));
            try {
                return serial(fresh, port).equals(second.certificate().getSerialNumber());
            } finally {
                fresh.close();
            }
        });
        assertThat(gateway.resources().get(io.isthmus.sidecar.xds.XdsResourceType.SECRET).dynamicResources())
                .containsOnlyKeys(XdsNames.ROOT_SECRET, "kubernetes://bookinfo-cred");
    }
}
