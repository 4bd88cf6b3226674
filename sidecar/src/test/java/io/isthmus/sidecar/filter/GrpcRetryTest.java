package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC through the sidecar's streaming path is retried like a buffered request while nothing of the
 * answer has reached the client: trailers-only UNAVAILABLE, a stream reset before headers and a refused
 * connection move the call to the other host; a relayed answer, a body past the buffer limit or a
 * retry_on without the condition are not retried; trailers-only errors count for outlier detection.
 */
class GrpcRetryTest {

    /** How the next misbehaving answer looks. */
    enum Fault { UNAVAILABLE, RESET, HEADERS_THEN_UNAVAILABLE }

    @TempDir
    Path dir;
    TestMesh mesh;
    HttpClientAgent h2c;
    /** Answers that misbehave before the hosts answer normally again, shared by both hosts. */
    final AtomicInteger faultsLeft = new AtomicInteger();
    final AtomicReference<Fault> fault = new AtomicReference<>(Fault.UNAVAILABLE);
    final AtomicInteger hitsA = new AtomicInteger();
    final AtomicInteger hitsB = new AtomicInteger();
    int portA;
    int portB;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        h2c = mesh.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
        portA = grpcServer(hitsA);
        portB = grpcServer(hitsB);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private int grpcServer(AtomicInteger hits) {
        return grpcServer(hits, false);
    }

    private int grpcServer(AtomicInteger hits, boolean alwaysUnavailable) {
        int port = TestMesh.freePort();
        HttpServer s = mesh.vertx.createHttpServer().requestHandler(req -> {
            if (alwaysUnavailable) {
                hits.incrementAndGet();
                req.response().putHeader("content-type", "application/grpc").putHeader("grpc-status", "14").end();
                return;
            }
            serve(req, hits);
        });
        TestMesh.await(s.listen(port, "127.0.0.1"));
        return port;
    }

    private void serve(HttpServerRequest req, AtomicInteger hits) {
        hits.incrementAndGet();
        Buffer in = Buffer.buffer();
        req.handler(in::appendBuffer);
        req.endHandler(v -> {
            var resp = req.response().putHeader("content-type", "application/grpc");
            if (faultsLeft.getAndDecrement() > 0) {
                switch (fault.get()) {
                    case UNAVAILABLE -> resp.putHeader("grpc-status", "14").putHeader("grpc-message", "down").end();
                    case RESET -> resp.reset(8); // CANCEL before any header
                    case HEADERS_THEN_UNAVAILABLE -> {
                        resp.setChunked(true);
                        resp.write("partial");
                        resp.putTrailer("grpc-status", "14");
                        resp.end();
                    }
                }
                return;
            }
            resp.setChunked(true);
            for (int i = 1; i <= 3; i++) {
                resp.write("m" + i + ":" + in.length() + ";");
            }
            resp.putTrailer("grpc-status", "0");
            resp.end();
        });
    }

    private static Cluster h2Cluster(io.envoyproxy.envoy.config.cluster.v3.OutlierDetection od) {
        return Outbound.cluster(od).toBuilder()
                .putTypedExtensionProtocolOptions("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Xds.any(
                        HttpProtocolOptions.newBuilder().setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                                .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance())).build()))
                .build();
    }

    private Outbound outbound(RetryPolicy retry, io.envoyproxy.envoy.config.cluster.v3.OutlierDetection od, int... ports) {
        Outbound out = Outbound.create(mesh, h2Cluster(od), RouteAction.newBuilder().setRetryPolicy(retry));
        var eps = new io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint[ports.length];
        for (int i = 0; i < ports.length; i++) {
            eps[i] = Xds.lbEndpoint("127.0.0.1", ports[i], 1);
        }
        out.endpoints(Xds.cla(Outbound.SERVICE.clusterName(), Xds.group("z1", 0, eps)));
        return out;
    }

    /** What the client saw of one call. */
    record Call(int status, String grpcStatus, String body) {
    }

    private Call call(Outbound out, Buffer message) {
        Future<Call> f = h2c.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.2")
                .setPort(out.port).setURI("/helloworld.Greeter/SayHello")).compose(req -> {
                    req.authority(HostAndPort.parseAuthority(Outbound.AUTHORITY, -1));
                    req.putHeader("content-type", "application/grpc").putHeader("te", "trailers");
                    return req.send(message).compose(r -> r.body().map(b -> {
                        MultiMap t = r.trailers();
                        String g = r.getHeader("grpc-status") != null ? r.getHeader("grpc-status") : t.get("grpc-status");
                        return new Call(r.statusCode(), g, b.toString());
                    }));
                });
        return TestMesh.await(f);
    }

    private Call call(Outbound out) {
        return call(out, Buffer.buffer("hi"));
    }

    @Test
    void aTrailersOnlyUnavailableIsRetriedOnTheOtherHost() {
        Outbound out = outbound(Xds.meshRetry(), null, portA, portB);
        faultsLeft.set(1);

        Call c = call(out);

        assertThat(c.status()).isEqualTo(200);
        assertThat(c.grpcStatus()).isEqualTo("0");
        assertThat(c.body()).isEqualTo("m1:2;m2:2;m3:2;");
        assertThat(hitsA.get()).as("one attempt on each host: exactly one retry").isEqualTo(1);
        assertThat(hitsB.get()).isEqualTo(1);
    }

    @Test
    void aClientStreamWithoutContentLengthIsReplayedWholeOnTheRetry() {
        Outbound out = outbound(Xds.meshRetry(), null, portA, portB);
        faultsLeft.set(1);
        var req = TestMesh.await(h2c.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.2")
                .setPort(out.port).setURI("/chat.Chat/Upload")));
        req.authority(HostAndPort.parseAuthority(Outbound.AUTHORITY, -1));
        req.putHeader("content-type", "application/grpc");
        req.setChunked(true);
        Future<Call> reply = req.response().compose(r -> r.body().map(b -> new Call(r.statusCode(),
                r.getHeader("grpc-status") != null ? r.getHeader("grpc-status") : r.trailers().get("grpc-status"),
                b.toString())));
        req.write(Buffer.buffer("abc"));
        req.write(Buffer.buffer("defg"));
        req.end(Buffer.buffer("hi"));

        Call c = TestMesh.await(reply);

        assertThat(c.grpcStatus()).isEqualTo("0");
        assertThat(c.body()).as("the second host got all 9 bytes").isEqualTo("m1:9;m2:9;m3:9;");
        assertThat(hitsA.get() + hitsB.get()).isEqualTo(2);
    }

    @Test
    void aStreamResetBeforeHeadersIsRetried() {
        fault.set(Fault.RESET);
        Outbound out = outbound(Xds.meshRetry(), null, portA, portB);
        faultsLeft.set(1);

        Call c = call(out);

        assertThat(c.grpcStatus()).isEqualTo("0");
        assertThat(hitsA.get() + hitsB.get()).isEqualTo(2);
    }

    @Test
    void unavailableIsNotRetriedWhenRetryOnLacksIt() {
        Outbound out = outbound(Xds.meshRetry().toBuilder().setRetryOn("connect-failure,reset,cancelled").build(), null,
                portA, portB);
        faultsLeft.set(1);

        Call c = call(out);

        assertThat(c.status()).isEqualTo(200);
        assertThat(c.grpcStatus()).isEqualTo("14");
        assertThat(hitsA.get() + hitsB.get()).isEqualTo(1);
    }

    @Test
    void anAnswerWhoseHeadersWentDownstreamIsNotRetried() {
        fault.set(Fault.HEADERS_THEN_UNAVAILABLE);
        Outbound out = outbound(Xds.meshRetry(), null, portA, portB);
        faultsLeft.set(1);

        Call c = call(out);

        assertThat(c.body()).isEqualTo("partial");
        assertThat(c.grpcStatus()).isEqualTo("14");
        assertThat(hitsA.get() + hitsB.get()).isEqualTo(1);
    }

    @Test
    void aRequestBodyPastTheBufferLimitIsNotRetried() {
        Outbound out = outbound(Xds.meshRetry(), null, portA, portB);
        faultsLeft.set(1);

        Call c = call(out, Buffer.buffer(new byte[(1 << 20) + 4096]));

        assertThat(c.grpcStatus()).isEqualTo("14");
        assertThat(hitsA.get() + hitsB.get()).isEqualTo(1);
        // a body within the limit still is
        faultsLeft.set(1);
        Call small = call(out, Buffer.buffer(new byte[64 * 1024]));
        assertThat(small.grpcStatus()).isEqualTo("0");
        assertThat(small.body()).startsWith("m1:65536;");
    }

    @Test
    void aServerStreamingCallMovesOffAHostThatRefusesConnections() {
        int refusing = TestMesh.freePort();
        Outbound out = outbound(Xds.meshRetry(), null, refusing, portB);

        for (int i = 0; i < 6; i++) {
            Call c = call(out);
            assertThat(c.grpcStatus()).isEqualTo("0");
            assertThat(c.body()).isEqualTo("m1:2;m2:2;m3:2;");
        }
        assertThat(hitsB.get()).isEqualTo(6);
    }

    @Test
    void aHostAnsweringTrailersOnlyUnavailableIsEjected() {
        AtomicInteger brokenHits = new AtomicInteger();
        int broken = grpcServer(brokenHits, true);
        Outbound out = outbound(RetryPolicy.newBuilder().setNumRetries(UInt32Value.of(0)).build(),
                Xds.outlier(3, 600_000, 50), broken, portB);

        for (int i = 0; i < 10; i++) {
            call(out);
        }

        assertThat(out.dataPlane.endpointStatus().stream().filter(s -> s.port() == broken).findFirst().orElseThrow()
                .ejected()).isTrue();
        int before = brokenHits.get();
        for (int i = 0; i < 6; i++) {
            assertThat(call(out).grpcStatus()).isEqualTo("0");
        }
        assertThat(brokenHits.get()).isEqualTo(before);
        assertThat(out.dataPlane.endpointStatus().stream().filter(s -> s.port() == portB).findFirst().orElseThrow()
                .ejected()).as("OK answers with grpc-status 0 in trailers count as success").isFalse();
    }
}
