package io.isthmus.sidecar.listener;

import static io.isthmus.sidecar.testing.GatewayXds.caSecret;
import static io.isthmus.sidecar.testing.GatewayXds.certificateSecret;
import static io.isthmus.sidecar.testing.GatewayXds.chain;
import static io.isthmus.sidecar.testing.GatewayXds.hcm;
import static io.isthmus.sidecar.testing.GatewayXds.hcmFilter;
import static io.isthmus.sidecar.testing.GatewayXds.tcpProxy;
import static io.isthmus.sidecar.testing.GatewayXds.tls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.GatewayXds;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.testing.TestCertificates;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.SocketAddress;
import io.isthmus.trust.tls.SwappableKeyManager;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ingress gateway listener with several filter chains: certificates chosen by SNI (exact, then
 * wildcard), MUTUAL TLS against a named CA secret, TLS passthrough by SNI, ALPN h2, certificate
 * rotation by a new SDS secret under continuous requests, and connections matching no chain.
 */
class GatewayTlsTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane gateway;
    AppServer app;
    int port;
    CertifiedKey ingressCa;
    CertifiedKey clientCa;
    final Map<String, Secret> secrets = new HashMap<>();

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        app = mesh.app("reviews");
        gateway = mesh.dataPlane(mesh.workload("east", "istio-system", "istio-ingressgateway"));
        gateway.clusters().apply(Map.of("outbound|9080||reviews", Xds.staticCluster("outbound|9080||reviews", "127.0.0.1", app.port)), "1");
        gateway.routes().apply(Map.of("https.443", Xds.routes("https.443",
                Xds.vhost("any", List.of("*"), Xds.prefixRoute("/", "outbound|9080||reviews")))), "1");
        ingressCa = TestCertificates.subCa(mesh.pki.root(), "ingress");
        clientCa = TestCertificates.subCa(mesh.pki.root(), "clients");
        port = TestMesh.freePort();
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private CertifiedKey serverCert(String host) {
        return TestCertificates.leaf(ingressCa, List.of(TestCertificates.dns(host)));
    }

    private void secret(Secret s) {
        secrets.put(s.getName(), s);
        gateway.secrets().apply(Map.copyOf(secrets), "v" + secrets.size());
    }

    private HttpClient client(Optional<CertifiedKey> clientCert) {
        HttpClientOptions o = new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false).setForceSni(true)
                .setUseAlpn(true).setProtocolVersion(HttpVersion.HTTP_2).setKeepAlive(false);
        clientCert.ifPresent(k -> o.setKeyCertOptions(KeyCertOptions.wrap(new SwappableKeyManager(k))));
        return mesh.vertx.createHttpClient(o);
    }

    /** GET over TLS with SNI {@code host}; returns the status and the server certificate the client saw. */
    private Map.Entry<Integer, X509Certificate> get(HttpClient client, String host) {
        RequestOptions r = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setURI("/x")
                .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"));
        return TestMesh.await(client.request(r).compose(req -> req.send().compose(resp -> resp.body().map(b -> {
            try {
                X509Certificate leaf = (X509Certificate) req.connection().peerCertificates().get(0);
                return Map.entry(resp.statusCode(), leaf);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }))));
    }

    private static String dnsName(X509Certificate c) {
        try {
            return (String) c.getSubjectAlternativeNames().iterator().next().get(1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void sniPicksTheCertificateOfEachHostAndSpeaksH2() {
        secret(certificateSecret("kubernetes://a-cred", serverCert("a.example.com")));
        secret(certificateSecret("kubernetes://wild-cred", serverCert("*.example.com")));
        gateway.listeners().apply(Map.of("0.0.0.0_443", GatewayXds.listener("0.0.0.0_443", "127.0.0.1", port,
                chain(List.of("a.example.com"), Optional.of(tls("kubernetes://a-cred", Optional.empty())), hcmFilter(hcm("https.443", 0))),
                chain(List.of("*.example.com"), Optional.of(tls("kubernetes://wild-cred", Optional.empty())),
                        hcmFilter(hcm("https.443", 0))))), "1");
        HttpClient client = client(Optional.empty());

        var a = get(client, "a.example.com");
        assertThat(a.getKey()).isEqualTo(200);
        assertThat(dnsName(a.getValue())).isEqualTo("a.example.com");
        var b = get(client, "b.example.com");
        assertThat(b.getKey()).isEqualTo(200);
        assertThat(dnsName(b.getValue())).isEqualTo("*.example.com");
        assertThat(app.lastHeaders.get().get("x-forwarded-proto")).isEqualTo("https");
        assertThat(app.lastHeaders.get().get("x-forwarded-for")).isEqualTo("127.0.0.1");
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.telemetry().registry().find("istio_requests")
                .tag("reporter", "source").tag("destination_service", "reviews").counter() != null);

        HttpClient h2 = client(Optional.empty());
        RequestOptions r = new RequestOptions().setHost("a.example.com").setPort(port).setURI("/h2")
                .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"));
        HttpVersion version = TestMesh.await(h2.request(r).compose(req -> req.send()).map(resp -> resp.version()));
        assertThat(version).isEqualTo(HttpVersion.HTTP_2);

        // the wildcard chain changes certificate: new connections get it, a request in flight finishes
        HttpClient kept = mesh.vertx.createHttpClient(new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false)
                .setForceSni(true));
        RequestOptions onB = new RequestOptions().setHost("b.example.com").setPort(port).setURI("/slow")
                .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"));
        app.delayMillis.set(1500);
        int hitsBefore = app.hits.get();
        var inFlight = kept.request(onB).compose(req -> req.send()).map(resp -> resp.statusCode());
        await().atMost(Duration.ofSeconds(30)).until(() -> app.hits.get() > hitsBefore);
        gateway.listeners().apply(Map.of("0.0.0.0_443", GatewayXds.listener("0.0.0.0_443", "127.0.0.1", port,
                chain(List.of("a.example.com"), Optional.of(tls("kubernetes://a-cred", Optional.empty())), hcmFilter(hcm("https.443", 0))),
                chain(List.of("*.example.com"), Optional.of(tls("kubernetes://a-cred", Optional.empty())),
                        hcmFilter(hcm("https.443", 0))))), "2");
        assertThat((int) TestMesh.await(inFlight)).isEqualTo(200);
        app.delayMillis.set(0);
        assertThat(dnsName(get(client(Optional.empty()), "b.example.com").getValue())).isEqualTo("a.example.com");

        assertThatThrownBy(() -> get(client(Optional.empty()), "other.org")).isInstanceOf(RuntimeException.class);
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.telemetry().registry().find("isthmus_downstream_rejected")
                .tag("reason", "no_filter_chain_match").counter() != null);
    }

    /** RBAC allowing only clients whose certificate names {@code principal} (URI SAN, else DNS SAN, else subject). */
    private static io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter allowOnly(String principal) {
        var rules = io.envoyproxy.envoy.config.rbac.v3.RBAC.newBuilder()
                .setAction(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW)
                .putPolicies("clients", io.envoyproxy.envoy.config.rbac.v3.Policy.newBuilder()
                        .addPermissions(io.envoyproxy.envoy.config.rbac.v3.Permission.newBuilder().setAny(true))
                        .addPrincipals(io.envoyproxy.envoy.config.rbac.v3.Principal.newBuilder().setAuthenticated(
                                io.envoyproxy.envoy.config.rbac.v3.Principal.Authenticated.newBuilder().setPrincipalName(
                                        io.envoyproxy.envoy.type.matcher.v3.StringMatcher.newBuilder().setExact(principal))))
                        .build());
        return io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.newBuilder()
                .setName("envoy.filters.http.rbac").setTypedConfig(Xds.any(
                        io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder().setRules(rules).build())).build();
    }

    @Test
    void anLdsUpdateOfAChainAppliesToRequestsOnConnectionsAlreadyOpen() {
        secret(certificateSecret("kubernetes://wild-cred", serverCert("*.example.com")));
        // a wildcard chain is served through the front socket and an internal server
        gateway.listeners().apply(Map.of("0.0.0.0_443", GatewayXds.listener("0.0.0.0_443", "127.0.0.1", port,
                chain(List.of("*.example.com"), Optional.of(tls("kubernetes://wild-cred", Optional.empty())),
                        hcmFilter(hcm("https.443", 0))))), "1");
        assertThat(gateway.activeListeners()).singleElement().extracting(ListenerConfig::serving)
                .isEqualTo(ListenerConfig.Serving.BY_SERVER_NAME);
        HttpClient kept = mesh.vertx.createHttpClient(new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false)
                .setForceSni(true).setKeepAlive(true), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(1));
        RequestOptions r = new RequestOptions().setHost("a.example.com").setPort(port).setURI("/x")
                .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"));
        AtomicReference<Object> firstConnection = new AtomicReference<>();
        int first = TestMesh.await(kept.request(r).compose(req -> {
            firstConnection.set(req.connection());
            return req.send();
        }).map(resp -> resp.statusCode()));
        assertThat(first).isEqualTo(200);

        // the same chain, now with an RBAC filter that allows nobody this client can be
        gateway.listeners().apply(Map.of("0.0.0.0_443", GatewayXds.listener("0.0.0.0_443", "127.0.0.1", port,
                chain(List.of("*.example.com"), Optional.of(tls("kubernetes://wild-cred", Optional.empty())),
                        hcmFilter(hcm("https.443", 0, allowOnly("spiffe://cluster.local/ns/default/sa/nobody")))))), "2");
        AtomicReference<Object> secondConnection = new AtomicReference<>();
        int second = TestMesh.await(kept.request(r).compose(req -> {
            secondConnection.set(req.connection());
            return req.send();
        }).map(resp -> resp.statusCode()));
        assertThat(secondConnection.get()).isSameAs(firstConnection.get());
        assertThat(second).isEqualTo(403);
    }

    @Test
    void exactHostsShareOneTlsServerThatPicksTheCertificateInTheHandshake() {
        secret(certificateSecret("kubernetes://a-cred", serverCert("a.example.com")));
        secret(certificateSecret("kubernetes://b-cred", serverCert("b.example.com")));
        gateway.listeners().apply(Map.of("0.0.0.0_443", GatewayXds.listener("0.0.0.0_443", "127.0.0.1", port,
                chain(List.of("a.example.com"), Optional.of(tls("kubernetes://a-cred", Optional.empty())), hcmFilter(hcm("https.443", 0))),
                chain(List.of("b.example.com"), Optional.of(tls("kubernetes://b-cred", Optional.empty())), hcmFilter(hcm("https.443", 0))))), "1");
        assertThat(gateway.activeListeners()).singleElement().extracting(ListenerConfig::serving).isEqualTo(ListenerConfig.Serving.SNI);
        HttpClient client = client(Optional.empty());

        var a = get(client, "a.example.com");
        assertThat(a.getKey()).isEqualTo(200);
        assertThat(dnsName(a.getValue())).isEqualTo("a.example.com");
        assertThat(dnsName(get(client, "b.example.com").getValue())).isEqualTo("b.example.com");
        assertThat(app.lastHeaders.get().get("x-forwarded-proto")).isEqualTo("https");

        assertThatThrownBy(() -> get(client, "c.example.com")).isInstanceOf(RuntimeException.class);
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.telemetry().registry().find("isthmus_downstream_rejected")
                .tag("reason", "no_filter_chain_match").counter() != null);
        assertThat(app.hits.get()).isEqualTo(2);
    }

    @Test
    void mutualTlsRequiresAClientCertificateFromTheNamedCa() {
        secret(certificateSecret("kubernetes://m-cred", serverCert("m.example.com")));
        secret(caSecret("kubernetes://m-cred-cacert", clientCa.certificate()));
        gateway.listeners().apply(Map.of("0.0.0.0_443", GatewayXds.listener("0.0.0.0_443", "127.0.0.1", port,
                chain(List.of("m.example.com"), Optional.of(tls("kubernetes://m-cred", Optional.of("kubernetes://m-cred-cacert"))),
                        hcmFilter(hcm("https.443", 0, allowOnly("client.example.com")))))), "1");

        assertThatThrownBy(() -> get(client(Optional.empty()), "m.example.com")).isInstanceOf(RuntimeException.class);
        CertifiedKey stranger = TestCertificates.leaf(ingressCa, List.of(TestCertificates.dns("client.example.com")));
        assertThatThrownBy(() -> get(client(Optional.of(stranger)), "m.example.com")).isInstanceOf(RuntimeException.class);
        CertifiedKey good = TestCertificates.leaf(clientCa, List.of(TestCertificates.dns("client.example.com")));
        assertThat(get(client(Optional.of(good)), "m.example.com").getKey()).isEqualTo(200);
        CertifiedKey otherName = TestCertificates.leaf(clientCa, List.of(TestCertificates.dns("intruder.example.com")));
        assertThat(get(client(Optional.of(otherName)), "m.example.com").getKey()).as("RBAC sees the client's DNS SAN").isEqualTo(403);
        assertThat(app.hits.get()).isEqualTo(1);
    }

    @Test
    void istioMutualChainsServeMeshClientsThatUseTheirMeshSni() {
        gateway.listeners().apply(Map.of("0.0.0.0_8443", GatewayXds.listener("0.0.0.0_8443", "127.0.0.1", port,
                chain(List.of("httpbin.example.com", "*.istio-system.svc.cluster.local"), Optional.of(Xds.downstreamTls(true)),
                        hcmFilter(hcm("https.443", 0, allowOnly("spiffe://cluster.local/ns/default/sa/sleep")))))), "1");
        var sleep = mesh.workload("east", "default", "sleep");
        HttpClient meshClient = mesh.vertx.createHttpClient(new io.isthmus.sidecar.tls.MeshTls(sleep).applyUpstream(
                new HttpClientOptions().setKeepAlive(false), io.isthmus.sidecar.tls.SanMatchers.ANY));
        RequestOptions r = new RequestOptions().setHost("outbound_.443_._.istio-egressgateway.istio-system.svc.cluster.local")
                .setPort(port).setURI("/get").putHeader("host", "httpbin.example.com")
                .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"));
        int status = TestMesh.await(meshClient.request(r).compose(req -> req.send()).map(resp -> resp.statusCode()));
        assertThat(status).isEqualTo(200);

        var other = mesh.workload("east", "default", "productpage");
        HttpClient otherClient = mesh.vertx.createHttpClient(new io.isthmus.sidecar.tls.MeshTls(other).applyUpstream(
                new HttpClientOptions().setKeepAlive(false), io.isthmus.sidecar.tls.SanMatchers.ANY));
        int denied = TestMesh.await(otherClient.request(r).compose(req -> req.send()).map(resp -> resp.statusCode()));
        assertThat(denied).as("RBAC on the caller's SPIFFE ID").isEqualTo(403);
        assertThatThrownBy(() -> get(client(Optional.empty()), "httpbin.example.com")).as("no mesh certificate")
                .isInstanceOf(RuntimeException.class);
    }

    @Test
    void passthroughRelaysTheClientHelloToTheTlsBackend() {
        CertifiedKey backendCert = serverCert("p.example.com");
        int backendPort = TestMesh.freePort();
        TestMesh.await(mesh.vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                        .setKeyCertOptions(KeyCertOptions.wrap(new SwappableKeyManager(backendCert))).setHost("127.0.0.1").setPort(backendPort))
                .requestHandler(req -> req.response().end("backend saw " + req.connection().indicatedServerName())).listen());
        gateway.clusters().apply(Map.of("outbound|9080||reviews", Xds.staticCluster("outbound|9080||reviews", "127.0.0.1", app.port),
                "outbound|443||p.example.com", Xds.staticCluster("outbound|443||p.example.com", "127.0.0.1", backendPort)), "2");
        secret(certificateSecret("kubernetes://a-cred", serverCert("a.example.com")));
        gateway.listeners().apply(Map.of("0.0.0.0_443", GatewayXds.listener("0.0.0.0_443", "127.0.0.1", port,
                chain(List.of("a.example.com"), Optional.of(tls("kubernetes://a-cred", Optional.empty())), hcmFilter(hcm("https.443", 0))),
                chain(List.of("p.example.com"), Optional.empty(), tcpProxy("outbound|443||p.example.com")))), "1");
        HttpClient client = client(Optional.empty());

        var p = get(client, "p.example.com");
        assertThat(p.getKey()).isEqualTo(200);
        assertThat(p.getValue().getSerialNumber()).isEqualTo(backendCert.certificate().getSerialNumber());
        assertThat(dnsName(get(client, "a.example.com").getValue())).isEqualTo("a.example.com");
    }

    @Test
    void aNewSecretVersionIsUsedByTheNextHandshakeWithoutFailingARequest() throws Exception {
        CertifiedKey first = serverCert("a.example.com");
        secret(certificateSecret("kubernetes://a-cred", first));
        gateway.listeners().apply(Map.of("0.0.0.0_443", GatewayXds.listener("0.0.0.0_443", "127.0.0.1", port,
                chain(List.of("a.example.com"), Optional.of(tls("kubernetes://a-cred", Optional.empty())), hcmFilter(hcm("https.443", 0))))), "1");
        HttpClient client = client(Optional.empty());
        assertThat(get(client, "a.example.com").getValue().getSerialNumber()).isEqualTo(first.certificate().getSerialNumber());

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<java.math.BigInteger> lastSerial = new AtomicReference<>();
        Thread load = new Thread(() -> {
            while (running.get()) {
                // a new client each time: no TLS session to resume, so every request is a full handshake
                HttpClient fresh = client(Optional.empty());
                try {
                    var r = get(fresh, "a.example.com");
                    if (r.getKey() == 200) {
                        ok.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                    }
                    lastSerial.set(r.getValue().getSerialNumber());
                } catch (RuntimeException e) {
                    failed.incrementAndGet();
                } finally {
                    fresh.close();
                }
            }
        });
        load.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() >= 5);
        CertifiedKey second = serverCert("a.example.com");
        secret(certificateSecret("kubernetes://a-cred", second));
        await().atMost(Duration.ofSeconds(30)).until(() -> second.certificate().getSerialNumber().equals(lastSerial.get()));
        int seen = ok.get();
        await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() >= seen + 5);
        running.set(false);
        load.join(30_000);
        assertThat(failed.get()).isZero();
    }
}
