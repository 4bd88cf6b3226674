package io.isthmus.sidecar.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.GatewayXds;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.ca.CaFactory;
import io.isthmus.trust.ca.CaSpec;
import io.isthmus.trust.pem.Pem;
import io.isthmus.trust.testing.TestCertificates;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.file.Path;
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
 * Istio's egress gateway with TLS origination, in one process over real sockets: the app calls
 * {@code http://external.test/} through its sidecar, which sends it with mesh mTLS to the egress
 * gateway's ISTIO_MUTUAL listener; the gateway routes it to the STRICT_DNS cluster of the external
 * host and originates TLS (SIMPLE, CA file, SAN) to a local HTTPS server with a certificate for
 * {@code external.test}.
 */
class EgressGatewayTest {

    static final String HOST = "external.test";
    static final String EXTERNAL = "outbound|443||" + HOST;
    static final OutboundName GATEWAY = OutboundName.of("istio-egressgateway.istio-system.svc.cluster.local", 443);
    static final String GATEWAY_ID = "spiffe://cluster.local/ns/istio-system/sa/istio-egressgateway-service-account";

    @TempDir
    Path dir;
    TestMesh mesh;
    final AtomicReference<String> sniSeen = new AtomicReference<>();

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    int externalServer(CertifiedKey cert) {
        HttpServerOptions o = new HttpServerOptions().setSsl(true).setSni(true).setKeyCertOptions(new PemKeyCertOptions()
                .setCertValue(Buffer.buffer(Pem.encodeCertificates(cert.chain())))
                .setKeyValue(Buffer.buffer(Pem.encodePrivateKey(cert.privateKey()))));
        int port = TestMesh.freePort();
        TestMesh.await(mesh.vertx.createHttpServer(o).requestHandler(r -> {
            sniSeen.set(r.connection().indicatedServerName());
            r.response().end("external " + r.path());
        }).listen(port, "127.0.0.1"));
        return port;
    }

    static TransportSocket simpleTls(Path caFile) {
        CommonTlsContext common = CommonTlsContext.newBuilder().setValidationContext(CertificateValidationContext.newBuilder()
                .setTrustedCa(DataSource.newBuilder().setFilename(caFile.toString()))
                .addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder().setSanType(SubjectAltNameMatcher.SanType.DNS)
                        .setMatcher(StringMatcher.newBuilder().setExact(HOST)))).build();
        return TransportSocket.newBuilder().setName("envoy.transport_sockets.tls").setTypedConfig(Xds.any(
                UpstreamTlsContext.newBuilder().setSni(HOST).setCommonTlsContext(common).build())).build();
    }

    @Test
    void aSidecarReachesTheExternalServiceThroughTheGatewayWhichOriginatesTls() {
        CertifiedKey ca = CaFactory.createRoot(CaSpec.root().withCommonName("External Test CA"));
        Path caFile = dir.resolve("external-ca.pem");
        Pem.writeCertificates(caFile, List.of(ca.certificate()));
        int httpsPort = externalServer(TestCertificates.leaf(ca, List.of(TestCertificates.dns(HOST))));

        DataPlane gateway = mesh.dataPlane(mesh.workload("east", "istio-system", "istio-egressgateway-service-account"));
        Cluster external = Cluster.newBuilder().setName(EXTERNAL).setType(Cluster.DiscoveryType.STRICT_DNS)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_ONLY)
                .setDnsRefreshRate(com.google.protobuf.Duration.newBuilder().setSeconds(5))
                .setLoadAssignment(Xds.cla(EXTERNAL, Xds.group("z1", 0, Xds.lbEndpoint("localhost", httpsPort, 1))))
                .setTransportSocket(simpleTls(caFile)).build();
        gateway.clusters().apply(Map.of(EXTERNAL, external), "1");
        int gatewayPort = TestMesh.freePort();
        String rds = "https.443.https.egress.istio-system";
        gateway.listeners().apply(Map.of("0.0.0.0_8443", GatewayXds.listener("0.0.0.0_8443", "127.0.0.3", gatewayPort,
                GatewayXds.chain(List.of(), Optional.of(Xds.downstreamTls(true)), GatewayXds.hcmFilter(GatewayXds.hcm(rds, 0))))), "1");
        gateway.routes().apply(Map.of(rds, Xds.routes(rds, Xds.vhost(HOST + ":443", List.of(HOST, HOST + ":443"),
                Xds.prefixRoute("/", EXTERNAL)))), "1");

        DataPlane sidecar = mesh.dataPlane(mesh.workload("east", "default", "sleep"));
        sidecar.clusters().apply(Map.of(GATEWAY.clusterName(),
                Xds.edsCluster(GATEWAY.clusterName(), GATEWAY.sni(), List.of(GATEWAY_ID))), "1");
        sidecar.endpoints().apply(Map.of(GATEWAY.clusterName(), Xds.cla(GATEWAY.clusterName(),
                Xds.group("z1", 0, Xds.lbEndpoint("127.0.0.3", gatewayPort, 1)))), "1");
        int outboundPort = TestMesh.freePort();
        sidecar.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", outboundPort, "80")), "1");
        sidecar.routes().apply(Map.of("80", Xds.routes("80", Xds.vhost(HOST + ":80", List.of(HOST, HOST + ":80"),
                Xds.prefixRoute("/", GATEWAY.clusterName())))), "1");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            TestMesh.Reply r = mesh.get("127.0.0.2", outboundPort, HOST, "/v1/items");
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("external /v1/items");
        });
        assertThat(sniSeen.get()).isEqualTo(HOST);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(gateway.telemetry().scrape())
                .containsPattern("istio_requests_total\\{[^}]*destination_service=\"external.test\"[^}]*response_code=\"200\""));
    }
}
