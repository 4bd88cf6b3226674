package io.isthmus.sidecar;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.isthmus.mesh.OutboundName;
import io.isthmus.mesh.XdsNames;
import io.isthmus.sidecar.cert.TestCa;
import io.isthmus.sidecar.dns.DnsProxyTest;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.testing.TestPki;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real proxies (the real {@link DataPlane}) configured by a java-control-plane ADS server that
 * also signs their CSRs: an app calls {@code reviews.default.svc.cluster.local} by name through the
 * client proxy's DNS and outbound listener, over mTLS to the server proxy's inbound listener, to
 * the app behind it; then the control plane goes away and traffic keeps flowing.
 */
class SidecarMeshTest {
    static final String HOST = "reviews.default.svc.cluster.local";

    @TempDir
    Path dir;
    final Vertx vertx = Vertx.vertx();
    final List<Sidecar> sidecars = new ArrayList<>();
    final AtomicReference<String> xfcc = new AtomicReference<>();
    TestCa ca;

    @AfterEach
    void tearDown() throws Exception {
        sidecars.forEach(Sidecar::close);
        if (ca != null) {
            ca.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static int freePort(String host) throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(host, 0));
            return s.getLocalPort();
        }
    }

    static String nodeId(String pod) {
        return "sidecar~127.0.0.1~" + pod + ".default~default.svc.cluster.local";
    }

    Sidecar proxy(String pod, String serviceAccount, boolean dns) throws Exception {
        Path b = dir.resolve(pod + ".yaml");
        Files.writeString(b, """
                node:
                  id: %s
                  cluster: %s
                  metadata: {CLUSTER_ID: east, NETWORK: net-east, NAMESPACE: default, SERVICE_ACCOUNT: %s, WORKLOAD_NAME: %s}
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
                """.formatted(nodeId(pod), serviceAccount, serviceAccount, pod, ca.port()));
        Path token = dir.resolve(pod + ".token");
        Files.writeString(token, "token-" + pod);
        ca.tokens.put("token-" + pod, SpiffeId.of(TestPki.TRUST_DOMAIN, "default", serviceAccount));
        SidecarConfig.Builder c = SidecarConfig.builder(b).rootCert(dir.resolve("pki/root/root-cert.pem"))
                .tokenFile(token).adminPort(0).healthPort(0).metricsPort(0).healthAddress("127.0.0.1")
                .drainTime(Duration.ZERO);
        if (dns) {
            c.dnsAddress(new InetSocketAddress("127.0.0.1", 0));
        }
        Sidecar s = Sidecar.start(c.build());
        sidecars.add(s);
        return s;
    }

    @Test
    void anAppCallsAServiceByNameOverMutualTlsAndKeepsCallingWhenTheControlPlaneIsGone() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        SimpleCache<String> cache = new SimpleCache<>(node -> node.getId());
        V3DiscoveryServer ads = new V3DiscoveryServer(cache);
        ca = new TestCa(pki, "east", Duration.ofHours(24), ads.getAggregatedDiscoveryServiceImpl().bindService());

        int appPort = freePort("127.0.0.1");
        int inboundPort = freePort("127.0.0.1");
        int servicePort = freePort(XdsNames.OUTBOUND_BIND_ADDRESS);
        HttpServer app = vertx.createHttpServer().requestHandler(req -> {
            xfcc.set(req.getHeader("x-forwarded-client-cert"));
            req.response().end("reviews-v1");
        });
        app.listen(appPort, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

        String inboundCluster = XdsNames.inboundCluster(inboundPort);
        cache.setSnapshot(nodeId("reviews-v1-0"), Snapshot.create(
                List.of(Xds.staticCluster(inboundCluster, "127.0.0.1", appPort)), List.of(),
                List.of(Xds.inboundHttp(XdsNames.inboundListener(inboundPort), "127.0.0.1", inboundPort, inboundCluster,
                        true, List.of())),
                List.of(), List.of(), "1"));
        OutboundName name = OutboundName.of(HOST, servicePort);
        String cluster = name.clusterName();
        Route route = Xds.prefixRoute("/", cluster).toBuilder()
                .setRoute(Xds.prefixRoute("/", cluster).getRoute().toBuilder().setRetryPolicy(Xds.meshRetry())).build();
        cache.setSnapshot(nodeId("productpage-0"), Snapshot.create(
                List.of(Xds.edsCluster(cluster, name.sni(), List.of("spiffe://cluster.local/ns/default/sa/reviews"))),
                List.of(Xds.cla(cluster, Xds.group("z1", 0, Xds.lbEndpoint("127.0.0.1", inboundPort, 1)))),
                List.of(Xds.outboundHttp(XdsNames.outboundListener(servicePort), XdsNames.OUTBOUND_BIND_ADDRESS,
                        servicePort, XdsNames.outboundRoute(servicePort))),
                List.of(Xds.routes(XdsNames.outboundRoute(servicePort), Xds.vhost(HOST + ":" + servicePort,
                        List.of(HOST, HOST + ":" + servicePort, "reviews", "reviews.default"), route))),
                List.of(), "1"));

        Sidecar server = proxy("reviews-v1-0", "reviews", false);
        Sidecar client = proxy("productpage-0", "productpage", true);
        server.whenReady().get(30, TimeUnit.SECONDS);
        client.whenReady().get(30, TimeUnit.SECONDS);

        var answer = DnsProxyTest.ask(client.dnsAddress().orElseThrow(), DnsProxyTest.query(1, HOST, DnsProxyTest.A));
        String resolved = InetAddress.getByAddress(answer.firstAddress()).getHostAddress();
        assertThat(resolved).isEqualTo(XdsNames.OUTBOUND_BIND_ADDRESS);

        HttpClient http = vertx.createHttpClient();
        assertThat(call(http, resolved, servicePort)).isEqualTo("200 reviews-v1");
        assertThat(xfcc.get()).contains("URI=spiffe://cluster.local/ns/default/sa/productpage");

        // a second root joins the bundle over SDS (the start of a root rotation): both proxies take it, traffic goes on
        TestPki next = TestPki.create(dir.resolve("pki-next"));
        String bundle = io.isthmus.trust.pem.Pem.encodeCertificates(List.of(pki.rootCertificate(), next.rootCertificate()));
        var rootCa = io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.newBuilder().setName(XdsNames.ROOT_SECRET)
                .setValidationContext(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext
                        .newBuilder().setTrustedCa(io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder()
                                .setInlineString(bundle))).build();
        for (String pod : List.of("reviews-v1-0", "productpage-0")) {
            Snapshot s1 = cache.getSnapshot(nodeId(pod));
            cache.setSnapshot(nodeId(pod), Snapshot.create(s1.clusters().resources().values(),
                    s1.endpoints().resources().values(), s1.listeners().resources().values(),
                    s1.routes().resources().values(), List.of(rootCa), "2"));
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                client.certificates().trustAnchors().roots().size() == 2
                        && server.certificates().trustAnchors().roots().size() == 2);
        assertThat(client.certificates().trustAnchors().source()).isEqualTo("sds:2");
        assertThat(call(http, resolved, servicePort)).isEqualTo("200 reviews-v1");

        // an update the data plane cannot honour is NACKed with its field named; the old config keeps serving
        Snapshot good = cache.getSnapshot(nodeId("productpage-0"));
        cache.setSnapshot(nodeId("productpage-0"), Snapshot.create(
                List.of(Xds.edsCluster(cluster, name.sni(), List.of("spiffe://cluster.local/ns/default/sa/reviews"))
                        .toBuilder().setLbPolicy(io.envoyproxy.envoy.config.cluster.v3.Cluster.LbPolicy.LOAD_BALANCING_POLICY_CONFIG)
                        .build()),
                good.endpoints().resources().values(), good.listeners().resources().values(),
                good.routes().resources().values(), good.secrets().resources().values(), "bad"));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                client.resources().get(io.isthmus.sidecar.xds.XdsResourceType.CLUSTER).lastRejection().isPresent());
        assertThat(client.resources().get(io.isthmus.sidecar.xds.XdsResourceType.CLUSTER).lastRejection().get().detail())
                .contains(cluster).contains("lb_policy");
        assertThat(client.resources().get(io.isthmus.sidecar.xds.XdsResourceType.CLUSTER).version()).isEqualTo("2");
        assertThat(call(http, resolved, servicePort)).isEqualTo("200 reviews-v1");
        cache.setSnapshot(nodeId("productpage-0"), good);

        ca.close();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> !client.controlPlaneConnected() && !server.controlPlaneConnected());
        for (int i = 0; i < 20; i++) {
            assertThat(call(http, resolved, servicePort)).isEqualTo("200 reviews-v1");
        }
        assertThat(client.ready()).isTrue();
    }

    static String call(HttpClient http, String ip, int port) throws Exception {
        return http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(ip).setPort(port).setURI("/")
                        .putHeader("host", HOST + ":" + port))
                .compose(r -> r.send().compose(resp -> resp.body().map(b -> resp.statusCode() + " " + b)))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
