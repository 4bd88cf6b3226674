package io.isthmus.sidecar.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.ca.CaFactory;
import io.isthmus.trust.ca.CaSpec;
import io.isthmus.trust.pem.Pem;
import io.isthmus.trust.testing.TestCertificates;
import io.isthmus.trust.tls.SwappableKeyManager;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS origination to a server outside the mesh (DestinationRule {@code tls.mode: SIMPLE | MUTUAL}):
 * a local HTTPS server with a certificate for {@code external.test} from a test CA; the proxy
 * verifies its chain and SAN, sends the SNI, presents a client certificate from an SDS secret for
 * MUTUAL, and fails the request with {@code UF} when verification fails.
 */
class TlsOriginationTest {

    static final String HOST = "external.test";
    static final String CLUSTER = "outbound|443||" + HOST;

    @TempDir
    Path dir;
    TestMesh mesh;
    CertifiedKey ca;
    CertifiedKey serverCert;
    Path caFile;
    final AtomicReference<String> sniSeen = new AtomicReference<>();
    final AtomicReference<String> clientSeen = new AtomicReference<>();

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        ca = CaFactory.createRoot(CaSpec.root().withCommonName("External Test CA"));
        serverCert = TestCertificates.leaf(ca, List.of(TestCertificates.dns(HOST)));
        caFile = dir.resolve("external-ca.pem");
        Pem.writeCertificates(caFile, List.of(ca.certificate()));
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    int httpsServer(ClientAuth clientAuth) {
        HttpServerOptions o = new HttpServerOptions().setSsl(true).setSni(true).setClientAuth(clientAuth)
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertValue(Buffer.buffer(Pem.encodeCertificates(serverCert.chain())))
                        .setKeyValue(Buffer.buffer(Pem.encodePrivateKey(serverCert.privateKey()))));
        if (clientAuth != ClientAuth.NONE) {
            o.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(Pem.encode(ca.certificate()))));
        }
        HttpServer s = mesh.vertx.createHttpServer(o).requestHandler(r -> {
            sniSeen.set(r.connection().indicatedServerName());
            try {
                var peer = r.connection().peerCertificates();
                clientSeen.set(peer.isEmpty() ? "" : ((X509Certificate) peer.get(0)).getSubjectX500Principal().getName());
            } catch (Exception e) {
                clientSeen.set("");
            }
            r.response().end("external");
        });
        int port = TestMesh.freePort();
        TestMesh.await(s.listen(port, "127.0.0.1"));
        return port;
    }

    /** Istio's MESH_EXTERNAL DNS cluster shape, to an IP literal here. */
    static Cluster dnsCluster(String address, int port, Duration refresh) {
        return Cluster.newBuilder().setName(CLUSTER).setType(Cluster.DiscoveryType.STRICT_DNS)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_ONLY)
                .setDnsRefreshRate(com.google.protobuf.Duration.newBuilder().setSeconds(refresh.toSeconds()))
                .setLoadAssignment(io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.newBuilder().setClusterName(CLUSTER)
                        .addEndpoints(io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints.newBuilder()
                                .addLbEndpoints(io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint.newBuilder()
                                        .setEndpoint(io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                                                .setAddress(Xds.address(address, port))))))
                .build();
    }

    static TransportSocket tls(CommonTlsContext.Builder common) {
        return TransportSocket.newBuilder().setName("envoy.transport_sockets.tls").setTypedConfig(Xds.any(
                UpstreamTlsContext.newBuilder().setSni(HOST).setCommonTlsContext(common).build())).build();
    }

    static SubjectAltNameMatcher dnsSan(String name) {
        return SubjectAltNameMatcher.newBuilder().setSanType(SubjectAltNameMatcher.SanType.DNS)
                .setMatcher(StringMatcher.newBuilder().setExact(name)).build();
    }

    CommonTlsContext.Builder simple(Path trusted, String san) {
        return CommonTlsContext.newBuilder().setValidationContext(CertificateValidationContext.newBuilder()
                .setTrustedCa(DataSource.newBuilder().setFilename(trusted.toString()))
                .addMatchTypedSubjectAltNames(dnsSan(san)));
    }

    /** A data plane whose outbound listener routes external.test to the originating cluster; returns the listener port. */
    int proxy(DataPlane dp, int serverPort, TransportSocket ts) {
        Cluster c = dnsCluster("127.0.0.1", serverPort, Duration.ofSeconds(5)).toBuilder().setTransportSocket(ts).build();
        dp.clusters().apply(Map.of(CLUSTER, c), "1");
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "80")), "1");
        dp.routes().apply(Map.of("80", Xds.routes("80", Xds.vhost("external", List.of(HOST),
                Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                        .setRoute(RouteAction.newBuilder().setCluster(CLUSTER)).build()))), "1");
        return port;
    }

    DataPlane dataPlane() {
        return mesh.dataPlane(mesh.workload("east", "istio-system", "egressgateway"));
    }

    @Test
    void simpleVerifiesTheServerAndSendsTheSni() {
        int port = proxy(dataPlane(), httpsServer(ClientAuth.NONE), tls(simple(caFile, HOST)));

        TestMesh.Reply r = mesh.get("127.0.0.2", port, HOST, "/");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("external");
        assertThat(sniSeen.get()).isEqualTo(HOST);
    }

    @Test
    void aServerOfAnotherCaFailsWithUf() {
        CertifiedKey otherCa = CaFactory.createRoot(CaSpec.root().withCommonName("Other CA"));
        Path otherFile = dir.resolve("other-ca.pem");
        Pem.writeCertificates(otherFile, List.of(otherCa.certificate()));
        int port = proxy(dataPlane(), httpsServer(ClientAuth.NONE), tls(simple(otherFile, HOST)));

        TestMesh.Reply r = mesh.get("127.0.0.2", port, HOST, "/");

        assertThat(r.status()).isEqualTo(503);
        assertThat(r.header("x-isthmus-response-flags")).contains("UF");
    }

    @Test
    void aSanMismatchFailsWithUf() {
        int port = proxy(dataPlane(), httpsServer(ClientAuth.NONE), tls(simple(caFile, "other.test")));

        TestMesh.Reply r = mesh.get("127.0.0.2", port, HOST, "/");

        assertThat(r.status()).isEqualTo(503);
        assertThat(r.header("x-isthmus-response-flags")).contains("UF");
    }

    @Test
    void mutualPresentsTheClientCertificateOfItsSecret() {
        CertifiedKey client = TestCertificates.leaf(ca, List.of(TestCertificates.dns("client.egress.test")));
        AtomicReference<Optional<CertifiedKey>> held = new AtomicReference<>(Optional.empty());
        DataPlane dp = dataPlane();
        dp.upstreamSecrets(new SecretLookup() {
            @Override
            public Optional<CertifiedKey> certificate(String name) {
                return name.equals("kubernetes://egress-client") ? held.get() : Optional.empty();
            }

            @Override
            public Optional<List<X509Certificate>> trustedCa(String name) {
                return name.equals("kubernetes://egress-client-cacert") ? Optional.of(List.of(ca.certificate())) : Optional.empty();
            }
        });
        CommonTlsContext.Builder common = CommonTlsContext.newBuilder()
                .addTlsCertificateSdsSecretConfigs(SdsSecretConfig.newBuilder().setName("kubernetes://egress-client")
                        .setSdsConfig(Xds.ads()))
                .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                        .setDefaultValidationContext(CertificateValidationContext.newBuilder().addMatchTypedSubjectAltNames(dnsSan(HOST)))
                        .setValidationContextSdsSecretConfig(SdsSecretConfig.newBuilder().setName("kubernetes://egress-client-cacert")
                                .setSdsConfig(Xds.ads())));
        int port = proxy(dp, httpsServer(ClientAuth.REQUIRED), tls(common));

        TestMesh.Reply without = mesh.get("127.0.0.2", port, HOST, "/");
        assertThat(without.status()).as("no client certificate before the secret arrives").isEqualTo(503);

        held.set(Optional.of(client));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(mesh.get("127.0.0.2", port, HOST, "/").status()).isEqualTo(200));
        assertThat(clientSeen.get()).isEqualTo(client.certificate().getSubjectX500Principal().getName());
    }

    @Test
    void mutualReadsTheSecretsTheDataPlaneReceivesBySds() {
        CertifiedKey client = TestCertificates.leaf(ca, List.of(TestCertificates.dns("client.egress.test")));
        DataPlane dp = dataPlane();
        CommonTlsContext.Builder common = CommonTlsContext.newBuilder()
                .addTlsCertificateSdsSecretConfigs(SdsSecretConfig.newBuilder().setName("kubernetes://egress-client")
                        .setSdsConfig(Xds.ads()))
                .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                        .setDefaultValidationContext(CertificateValidationContext.newBuilder().addMatchTypedSubjectAltNames(dnsSan(HOST)))
                        .setValidationContextSdsSecretConfig(SdsSecretConfig.newBuilder().setName("kubernetes://egress-client-cacert")
                                .setSdsConfig(Xds.ads())));
        int port = proxy(dp, httpsServer(ClientAuth.REQUIRED), tls(common));
        dp.secrets().apply(Map.of(
                "kubernetes://egress-client", Secret.newBuilder().setName("kubernetes://egress-client")
                        .setTlsCertificate(TlsCertificate.newBuilder()
                                .setCertificateChain(DataSource.newBuilder().setInlineString(Pem.encodeCertificates(client.chain())))
                                .setPrivateKey(DataSource.newBuilder().setInlineString(Pem.encodePrivateKey(client.privateKey()))))
                        .build(),
                "kubernetes://egress-client-cacert", Secret.newBuilder().setName("kubernetes://egress-client-cacert")
                        .setValidationContext(CertificateValidationContext.newBuilder()
                                .setTrustedCa(DataSource.newBuilder().setInlineString(Pem.encode(ca.certificate()))))
                        .build()), "s1");

        TestMesh.Reply r = mesh.get("127.0.0.2", port, HOST, "/");

        assertThat(r.status()).isEqualTo(200);
        assertThat(clientSeen.get()).isEqualTo(client.certificate().getSubjectX500Principal().getName());
    }

    @Test
    void noValidationContextMeansNoVerification() {
        CertifiedKey otherCa = CaFactory.createRoot(CaSpec.root().withCommonName("Unknown CA"));
        serverCert = TestCertificates.leaf(otherCa, List.of(TestCertificates.dns("elsewhere.test")));
        int port = proxy(dataPlane(), httpsServer(ClientAuth.NONE), tls(CommonTlsContext.newBuilder()));

        TestMesh.Reply r = mesh.get("127.0.0.2", port, HOST, "/");

        assertThat(r.status()).as("insecureSkipVerify").isEqualTo(200);
        assertThat(sniSeen.get()).isEqualTo(HOST);
    }

    @Test
    void unsupportedOriginationFieldsAreRefusedByName() {
        DataPlane dp = dataPlane();
        CommonTlsContext.Builder common = CommonTlsContext.newBuilder().setValidationContext(CertificateValidationContext.newBuilder()
                .setTrustedCa(DataSource.newBuilder().setFilename(caFile.toString())).addVerifyCertificateHash("ab"));
        Cluster c = dnsCluster("127.0.0.1", 443, Duration.ofSeconds(5)).toBuilder().setTransportSocket(tls(common)).build();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dp.clusters().apply(Map.of(CLUSTER, c), "1"))
                .hasMessageContaining("validation_context");
    }
}
