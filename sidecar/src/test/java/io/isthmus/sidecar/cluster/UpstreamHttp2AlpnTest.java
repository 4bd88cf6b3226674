package io.isthmus.sidecar.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.tls.MeshTls;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream HTTP/2 over mesh mTLS chosen by ALPN: a cluster whose {@code HttpProtocolOptions} say
 * HTTP/2 (explicitly or by {@code auto_config}) and whose TLS context offers an Istio-style ALPN list
 * speaks h2 to a TLS server that offers it, as that server reports; gRPC streams and trailers
 * pass over that connection; {@code auto_config} falls back to HTTP/1.1 when the server only has it.
 */
class UpstreamHttp2AlpnTest {

    private static final OutboundName SERVICE = Outbound.SERVICE;
    private static final List<String> ISTIO_ALPN = List.of("istio-peer-exchange", "istio", "h2", "http/1.1");

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane client;
    int outboundPort;
    final AtomicReference<String> peerOfServer = new AtomicReference<>();

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
    void explicitHttp2OverMtlsNegotiatesH2ByAlpn() {
        int server = meshServer(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
        useCluster(HttpProtocolOptions.newBuilder().setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance())).build(), server);

        TestMesh.Reply r = mesh.get("127.0.0.2", outboundPort, Outbound.AUTHORITY, "/version");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("HTTP_2 ssl=true");
        assertThat(peerOfServer.get()).isEqualTo("spiffe://cluster.local/ns/default/sa/productpage");
    }

    @Test
    void autoConfigOverMtlsNegotiatesH2WhenTheServerOffersIt() {
        int server = meshServer(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
        useCluster(autoConfig(), server);

        assertThat(mesh.get("127.0.0.2", outboundPort, Outbound.AUTHORITY, "/version").body()).isEqualTo("HTTP_2 ssl=true");
    }

    @Test
    void autoConfigFallsBackToHttp11WhenTheServerOnlySpeaksIt() {
        int server = meshServer(List.of(HttpVersion.HTTP_1_1));
        useCluster(autoConfig(), server);

        assertThat(mesh.get("127.0.0.2", outboundPort, Outbound.AUTHORITY, "/version").body()).isEqualTo("HTTP_1_1 ssl=true");
    }

    @Test
    void aGrpcStreamWithTrailersPassesOverTheH2MtlsConnection() {
        int server = meshServer(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
        useCluster(autoConfig(), server);
        HttpClientAgent h2c = mesh.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));

        Promise<String> firstEcho = Promise.promise();
        Promise<Void> ended = Promise.promise();
        StringBuilder all = new StringBuilder();
        var request = TestMesh.await(h2c.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.2")
                .setPort(outboundPort).setURI("/chat.Chat/Talk")));
        request.authority(HostAndPort.create(SERVICE.host(), SERVICE.port()));
        request.putHeader("content-type", "application/grpc").putHeader("te", "trailers");
        request.setChunked(true);
        var response = request.response().onSuccess(r -> {
            r.handler(chunk -> {
                all.append(chunk);
                firstEcho.tryComplete(chunk.toString());
            });
            r.end().onComplete(ended);
        });
        request.write(Buffer.buffer("one"));

        // the first answer arrives while the request is still open: nothing is buffered on the way
        assertThat(TestMesh.await(firstEcho.future())).isEqualTo("echo:one");
        request.end(Buffer.buffer("two"));
        HttpClientResponse r = TestMesh.await(response);
        TestMesh.await(ended.future());
        assertThat(r.version()).isEqualTo(HttpVersion.HTTP_2);
        assertThat(all.toString()).isEqualTo("echo:oneecho:two");
        assertThat(r.trailers().get("grpc-status")).isEqualTo("0");
        assertThat(r.trailers().get("grpc-message")).isEqualTo("upstream saw HTTP_2 ssl=true");
    }

    private static HttpProtocolOptions autoConfig() {
        return HttpProtocolOptions.newBuilder().setAutoConfig(HttpProtocolOptions.AutoHttpConfig.newBuilder()
                .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance())).build();
    }

    /** The mesh cluster of the service with an Istio-style ALPN list and these protocol options, to one endpoint. */
    private void useCluster(HttpProtocolOptions protocol, int port) {
        Cluster base = Xds.edsCluster(SERVICE.clusterName(), SERVICE.sni(), List.of("spiffe://cluster.local/ns/default/sa/reviews"));
        UpstreamTlsContext tls;
        try {
            tls = base.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        tls = tls.toBuilder().setCommonTlsContext(tls.getCommonTlsContext().toBuilder().clearAlpnProtocols()
                .addAllAlpnProtocols(ISTIO_ALPN)).build();
        Cluster c = base.toBuilder()
                .setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.tls").setTypedConfig(Xds.any(tls)))
                .putTypedExtensionProtocolOptions("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Xds.any(protocol))
                .build();
        client.clusters().apply(Map.of(c.getName(), c), "1");
        client.endpoints().apply(Map.of(SERVICE.clusterName(), Xds.cla(SERVICE.clusterName(),
                Xds.group("z1", 0, Xds.lbEndpoint("127.0.0.1", port, 1)))), "1");
    }

    /**
     * A server with the {@code reviews} workload certificate requiring a mesh client certificate,
     * offering {@code alpn}: {@code /version} answers the protocol it saw; other paths echo each
     * request chunk and end with gRPC trailers naming the protocol.
     */
    private int meshServer(List<HttpVersion> alpn) {
        int port = TestMesh.freePort();
        HttpServerOptions o = new HttpServerOptions().setHost("127.0.0.1").setPort(port);
        new MeshTls(mesh.workload("east", "default", "reviews")).applyDownstream(o, MeshTls.ClientCertPolicy.REQUIRE);
        o.setUseAlpn(true).setAlpnVersions(alpn);
        HttpServer server = mesh.vertx.createHttpServer(o).requestHandler(req -> {
            String seen = req.version() + " ssl=" + req.isSSL();
            try {
                var leaf = (java.security.cert.X509Certificate) req.connection().peerCertificates().get(0);
                peerOfServer.set(String.valueOf(leaf.getSubjectAlternativeNames().iterator().next().get(1)));
            } catch (Exception e) {
                peerOfServer.set("none: " + e);
            }
            if (req.path().equals("/version")) {
                req.response().end(seen);
                return;
            }
            var resp = req.response().putHeader("content-type", "application/grpc");
            resp.setChunked(true);
            req.handler(chunk -> {
                if (chunk.length() > 0) {
                    resp.write(Buffer.buffer("echo:").appendBuffer(chunk));
                }
            });
            req.endHandler(v -> {
                resp.putTrailer("grpc-status", "0");
                resp.putTrailer("grpc-message", "upstream saw " + seen);
                resp.end();
            });
        });
        TestMesh.await(server.listen());
        return port;
    }
}
