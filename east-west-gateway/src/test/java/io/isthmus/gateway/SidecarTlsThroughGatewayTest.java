package io.isthmus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.gateway.listener.PassthroughOptions;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.tls.MeshTls;
import io.isthmus.sidecar.tls.SanMatchers;
import io.isthmus.sidecar.tls.SpiffeIdentity;
import io.isthmus.sidecar.tls.TlsMaterial;
import io.isthmus.sidecar.tls.TlsMaterialSource;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.testing.TestPki;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar's own TLS paths through the gateway: its upstream HTTP and TCP clients (OpenSSL, mesh
 * SNI with '_') reach an inbound-style server (OpenSSL, client certificate required) in another
 * cluster through the passthrough listener, and the server reads the caller's SPIFFE ID.
 */
class SidecarTlsThroughGatewayTest {

    private static final OutboundName REVIEWS = OutboundName.of("reviews.default.svc.cluster.local", 9080);

    @TempDir
    Path dir;

    private static TlsMaterialSource material(TestPki pki, CertifiedKey key) {
        TlsMaterialSource.Mutable m = TlsMaterialSource.mutable();
        m.set(new TlsMaterial(key.privateKey(), key.chain(), List.of(pki.rootCertificate())));
        return m;
    }

    @Test
    void sidecarTcpProxyPathReachesATlsServerThroughTheGateway() throws Exception {
        TestPki pki = TestPki.create(dir);
        TlsMaterialSource server = material(pki, pki.workload("west", "default", "reviews"));
        TlsMaterialSource client = material(pki, pki.workload("east", "default", "productpage"));
        OutboundName tcp = OutboundName.of("reviews.default.svc.cluster.local", 9000);
        Vertx vertx = Vertx.vertx();
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder())) {
            NetServer inbound = vertx.createNetServer(
                    (NetServerOptions) new MeshTls(server).applyDownstream(new NetServerOptions(), MeshTls.ClientCertPolicy.REQUIRE))
                    .connectHandler(socket -> {
                        try {
                            X509Certificate peer = (X509Certificate) socket.sslSession().getPeerCertificates()[0];
                            socket.end(io.vertx.core.buffer.Buffer.buffer(SpiffeIdentity.uriSan(peer).orElse("none")));
                        } catch (Exception e) {
                            socket.close();
                        }
                    })
                    .listen(0, "127.0.0.3").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            gw.table.put(tcp.clusterName(), List.of(GatewayEndpoint.of(new java.net.InetSocketAddress("127.0.0.3", inbound.actualPort()))));
            NetClient net = vertx.createNetClient((NetClientOptions) new MeshTls(client).applyUpstream(
                    new NetClientOptions().setHostnameVerificationAlgorithm(""), SanMatchers.ANY));
            java.util.concurrent.CompletableFuture<String> answer = new java.util.concurrent.CompletableFuture<>();
            // Vert.x refuses a '_' in ConnectOptions.setSniServerName (it builds an SNIHostName); a remote
            // address whose host name is the SNI reaches the engine as its peer host instead.
            java.net.InetAddress named = java.net.InetAddress.getByAddress(tcp.sni(), gw.address().getAddress().getAddress());
            net.connect(new ConnectOptions().setRemoteAddress(SocketAddress.inetSocketAddress(
                            new java.net.InetSocketAddress(named, gw.address().getPort()))).setSsl(true))
                    .onSuccess(socket -> {
                        io.vertx.core.buffer.Buffer got = io.vertx.core.buffer.Buffer.buffer();
                        socket.handler(got::appendBuffer);
                        socket.endHandler(v -> answer.complete(got.toString()));
                    })
                    .onFailure(answer::completeExceptionally);
            // the gateway routed by the mesh SNI, so the name was on the wire
            assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo("spiffe://cluster.local/ns/default/sa/productpage");
            assertThat(gw.metrics.service(tcp.host()).opened().count()).isEqualTo(1);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void sidecarClientReachesSidecarServerThroughTheGateway() throws Exception {
        TestPki pki = TestPki.create(dir);
        TlsMaterialSource server = material(pki, pki.workload("west", "default", "reviews"));
        TlsMaterialSource client = material(pki, pki.workload("east", "default", "productpage"));
        Vertx vertx = Vertx.vertx();
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder())) {
            HttpServer inbound = vertx.createHttpServer(
                    (HttpServerOptions) new MeshTls(server).applyDownstream(new HttpServerOptions(), MeshTls.ClientCertPolicy.REQUIRE))
                    .requestHandler(req -> {
                        try {
                            X509Certificate peer = (X509Certificate) req.connection().sslSession().getPeerCertificates()[0];
                            req.response().end(SpiffeIdentity.uriSan(peer).orElse("none"));
                        } catch (Exception e) {
                            req.response().setStatusCode(500).end(e.toString());
                        }
                    })
                    .listen(0, "127.0.0.3").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(new java.net.InetSocketAddress("127.0.0.3", inbound.actualPort()))));

            var http = vertx.createHttpClient(new MeshTls(client).applyUpstream(new HttpClientOptions(), SanMatchers.ANY));
            String body = http.request(new RequestOptions().setMethod(HttpMethod.GET)
                            .setServer(SocketAddress.inetSocketAddress(gw.address().getPort(), "127.0.0.1"))
                            .setPort(gw.address().getPort()).setHost(REVIEWS.sni()).setSsl(true).setURI("/"))
                    .compose(req -> req.send().compose(resp -> resp.body()))
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).toString();
            assertThat(body).isEqualTo("spiffe://cluster.local/ns/default/sa/productpage");
            assertThat(gw.metrics.service(REVIEWS.host()).opened().count()).isEqualTo(1);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
