package io.isthmus.sidecar.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.admin.EndpointStatus;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.tls.MeshTls;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Istio's auto mTLS per endpoint through the real proxy path: a mesh cluster with no TLS of its own and the two
 * {@code transport_socket_matches} Istio sends ({@code tlsMode: istio} = mesh mTLS, anything else = plaintext),
 * whose endpoints are a real mTLS server (labelled {@code istio}: a workload with a sidecar) and a plain server
 * (labelled {@code disabled}: no sidecar), side by side in one locality. HTTP requests and TCP connections reach
 * both: the mTLS server sees the client's SPIFFE identity, the plain one a plaintext connection.
 */
class AutoMtlsPerEndpointTest {

    private static final OutboundName SERVICE = Outbound.SERVICE;
    private static final String CLIENT_ID = "spiffe://cluster.local/ns/default/sa/productpage";

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane client;
    int outboundPort;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        Outbound outbound = Outbound.routingToServiceCluster(mesh);
        client = outbound.dataPlane;
        outboundPort = outbound.port;
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void autoConfigSpeaksH2OverMtlsToTheSidecarAndHttp11InPlaintextToTheOther() {
        useCluster(autoMtls(autoConfig()), httpServer(true), httpServer(false));

        List<String> seen = requests(4);

        assertThat(seen).containsOnly("mtls HTTP_2 ssl=true peer=" + CLIENT_ID, "plain HTTP_1_1 ssl=false")
                .contains("mtls HTTP_2 ssl=true peer=" + CLIENT_ID, "plain HTTP_1_1 ssl=false");
    }

    @Test
    void clustersAdminShowsEachEndpointsTransport() {
        int mtls = httpServer(true);
        int plain = httpServer(false);
        useCluster(autoMtls(autoConfig()), mtls, plain);

        assertThat(client.endpointStatus()).filteredOn(e -> e.cluster().equals(SERVICE.clusterName()))
                .extracting(e -> e.port() + "=" + e.transport())
                .containsExactlyInAnyOrder(mtls + "=" + EndpointStatus.MESH_MTLS, plain + "=" + EndpointStatus.PLAINTEXT);
    }

    @Test
    void explicitHttp2SpeaksH2cToThePlaintextEndpoint() {
        HttpProtocolOptions h2 = HttpProtocolOptions.newBuilder().setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig
                .newBuilder().setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance())).build();
        useCluster(autoMtls(h2), httpServer(true), httpServer(false));

        assertThat(requests(4)).containsOnly("mtls HTTP_2 ssl=true peer=" + CLIENT_ID, "plain HTTP_2 ssl=false")
                .contains("mtls HTTP_2 ssl=true peer=" + CLIENT_ID, "plain HTTP_2 ssl=false");
    }

    @Test
    void withoutProtocolOptionsBothEndpointsAreSpokenHttp11() {
        useCluster(Xds.autoMtlsCluster(SERVICE.clusterName(), SERVICE.sni(), List.of("spiffe://cluster.local/ns/default/sa/reviews")),
                httpServer(true), httpServer(false));

        assertThat(requests(4)).containsOnly("mtls HTTP_1_1 ssl=true peer=" + CLIENT_ID, "plain HTTP_1_1 ssl=false")
                .contains("mtls HTTP_1_1 ssl=true peer=" + CLIENT_ID, "plain HTTP_1_1 ssl=false");
    }

    @Test
    void tcpConnectionsGetTheTransportOfTheirEndpoint() throws Exception {
        int tcpPort = TestMesh.freePort();
        client.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", outboundPort, "9080"),
                "tcp", Xds.tcpListener("tcp", "127.0.0.2", tcpPort, SERVICE.clusterName())), "2");
        useCluster(Xds.autoMtlsCluster(SERVICE.clusterName(), SERVICE.sni(), List.of("spiffe://cluster.local/ns/default/sa/reviews")),
                tcpServer(true), tcpServer(false));

        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try (Socket s = new Socket("127.0.0.2", tcpPort)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                seen.add(new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine());
            }
        }

        assertThat(seen).containsOnly("mtls peer=" + CLIENT_ID + " got hello", "plain got hello")
                .contains("mtls peer=" + CLIENT_ID + " got hello", "plain got hello");
    }

    @Test
    void theClientsOfEachTlsAreBuiltWhenFirstUsedAndAClusterWithoutMatchesHasOnlyItsOwn() {
        useCluster(autoMtls(autoConfig()), httpServer(true), httpServer(false));
        UpstreamTransports transports = client.cluster(SERVICE.clusterName()).orElseThrow().transports();

        assertThat(transports.variantCount()).as("mTLS, and plaintext shared by the catch-all and the cluster itself").isEqualTo(2);
        assertThat(transports.variantsInUse()).isZero();
        requests(4);
        assertThat(transports.variantsInUse()).isEqualTo(2);

        client.clusters().apply(Map.of("other", Xds.edsCluster("other", SERVICE.sni(), List.of())), "2");
        UpstreamTransports single = client.cluster("other").orElseThrow().transports();
        assertThat(single.variantCount()).isEqualTo(1);
        assertThat(single.variantsInUse()).as("built with the cluster, as before socket matches").isEqualTo(1);
    }

    /** Sends {@code n} requests through the outbound listener; every one must succeed. Returns what the servers saw. */
    private List<String> requests(int n) {
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TestMesh.Reply r = mesh.get("127.0.0.2", outboundPort, Outbound.AUTHORITY, "/");
            assertThat(r.status()).as("request %d: %s", i, r.body()).isEqualTo(200);
            seen.add(r.body());
        }
        return seen;
    }

    private static HttpProtocolOptions autoConfig() {
        return HttpProtocolOptions.newBuilder().setAutoConfig(HttpProtocolOptions.AutoHttpConfig.newBuilder()
                .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance())).build();
    }

    /** The service's auto mTLS cluster with these protocol options. */
    private static Cluster autoMtls(HttpProtocolOptions protocol) {
        return Xds.autoMtlsCluster(SERVICE.clusterName(), SERVICE.sni(), List.of("spiffe://cluster.local/ns/default/sa/reviews"))
                .toBuilder().putTypedExtensionProtocolOptions("envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                        Xds.any(protocol)).build();
    }

    /** Puts the cluster in force with two endpoints in one locality: {@code mtlsPort} labelled istio, {@code plainPort} disabled. */
    private void useCluster(Cluster c, int mtlsPort, int plainPort) {
        client.clusters().apply(Map.of(c.getName(), c), "1");
        client.endpoints().apply(Map.of(SERVICE.clusterName(), Xds.cla(SERVICE.clusterName(), Xds.group("z1", 0,
                Xds.withTlsMode(Xds.lbEndpoint("127.0.0.1", mtlsPort, 1), "istio"),
                Xds.withTlsMode(Xds.lbEndpoint("127.0.0.1", plainPort, 1), "disabled")))), "1");
    }

    /**
     * An HTTP server answering what it saw: {@code mtls <version> ssl=true peer=<client SPIFFE ID>} with the
     * {@code reviews} workload certificate, requiring a mesh client certificate and offering h2 and http/1.1 by ALPN;
     * {@code plain <version> ssl=false} without TLS (HTTP/1.1 and h2c).
     */
    private int httpServer(boolean mtls) {
        HttpServerOptions o = new HttpServerOptions().setHost("127.0.0.1").setPort(TestMesh.freePort());
        if (mtls) {
            new MeshTls(mesh.workload("east", "default", "reviews")).applyDownstream(o, MeshTls.ClientCertPolicy.REQUIRE);
            o.setUseAlpn(true).setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
        }
        HttpServer server = mesh.vertx.createHttpServer(o).requestHandler(req -> {
            String seen = req.version() + " ssl=" + req.isSSL();
            if (mtls) {
                try {
                    seen = "mtls " + seen + " peer=" + spiffeId(req.connection().peerCertificates());
                } catch (Exception e) {
                    seen = "mtls " + seen + " peer=none: " + e;
                }
            } else {
                seen = "plain " + seen;
            }
            req.response().end(seen);
        });
        return TestMesh.await(server.listen()).actualPort();
    }

    /**
     * A TCP server answering the first line it reads: {@code mtls peer=<client SPIFFE ID> got <line>} over mesh mTLS
     * (client certificate required), {@code plain got <line>} without TLS.
     */
    private int tcpServer(boolean mtls) {
        NetServerOptions o = new NetServerOptions().setHost("127.0.0.1").setPort(TestMesh.freePort());
        if (mtls) {
            new MeshTls(mesh.workload("east", "default", "reviews")).applyDownstream(o, MeshTls.ClientCertPolicy.REQUIRE);
        }
        NetServer server = mesh.vertx.createNetServer(o).connectHandler((NetSocket s) -> {
            Buffer line = Buffer.buffer();
            s.handler(b -> {
                line.appendBuffer(b);
                String text = line.toString(StandardCharsets.US_ASCII);
                int end = text.indexOf('\n');
                if (end < 0) {
                    return;
                }
                String who;
                try {
                    who = mtls ? "mtls peer=" + spiffeId(s.peerCertificates()) : "plain";
                } catch (Exception e) {
                    who = "mtls peer=none: " + e;
                }
                s.write(who + " got " + text.substring(0, end) + "\n").onComplete(v -> s.close());
            });
        });
        return TestMesh.await(server.listen()).actualPort();
    }

    private static String spiffeId(List<Certificate> chain) throws Exception {
        X509Certificate leaf = (X509Certificate) chain.get(0);
        return String.valueOf(leaf.getSubjectAlternativeNames().iterator().next().get(1));
    }
}
