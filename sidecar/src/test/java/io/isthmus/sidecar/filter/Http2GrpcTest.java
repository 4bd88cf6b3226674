package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTP/2 end to end: h2c from the app, HTTP/2 upstream, gRPC trailers and a bidirectional stream that is not buffered. */
class Http2GrpcTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    HttpClientAgent h2c;
    int port;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        h2c = mesh.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
        int grpcPort = TestMesh.freePort();
        HttpServer grpc = mesh.vertx.createHttpServer().requestHandler(req -> {
            var resp = req.response().putHeader("content-type", "application/grpc");
            resp.setChunked(true);
            req.handler(chunk -> {
                if (chunk.length() > 0) {
                    resp.write(Buffer.buffer("echo:").appendBuffer(chunk));
                }
            });
            req.endHandler(v -> {
                resp.putTrailer("grpc-status", "0");
                resp.putTrailer("grpc-message", "done-" + req.version());
                resp.end();
            });
        });
        TestMesh.await(grpc.listen(grpcPort, "127.0.0.1"));
        DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        Cluster c = Xds.staticCluster("grpc", "127.0.0.1", grpcPort).toBuilder()
                .putTypedExtensionProtocolOptions("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Xds.any(
                        HttpProtocolOptions.newBuilder().setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                                .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance())).build()))
                .build();
        dp.clusters().apply(Map.of("grpc", c), "1");
        port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "r")), "1");
        dp.routes().apply(Map.of("r", Xds.routes("r", Xds.vhost("grpc", List.of("greeter:50051"),
                Xds.prefixRoute("/", "grpc")))), "1");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void trailersAndHttp2ReachTheApp() {
        HttpClientResponse[] resp = new HttpClientResponse[1];
        String body = TestMesh.await(h2c.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.2")
                .setPort(port).setURI("/helloworld.Greeter/SayHello")).compose(req -> {
                    req.authority(HostAndPort.create("greeter", 50051));
                    req.putHeader("content-type", "application/grpc").putHeader("te", "trailers");
                    return req.send(Buffer.buffer("hi")).compose(r -> {
                        resp[0] = r;
                        return r.body();
                    });
                })).toString();

        assertThat(resp[0].version()).isEqualTo(HttpVersion.HTTP_2);
        assertThat(body).isEqualTo("echo:hi");
        assertThat(resp[0].trailers().get("grpc-status")).isEqualTo("0");
        assertThat(resp[0].trailers().get("grpc-message")).isEqualTo("done-HTTP_2");
    }

    @Test
    void aBidirectionalStreamFlowsWithoutBuffering() {
        Promise<String> firstEcho = Promise.promise();
        Promise<Void> ended = Promise.promise();
        StringBuilder all = new StringBuilder();
        var request = TestMesh.await(h2c.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.2")
                .setPort(port).setURI("/chat.Chat/Talk")));
        request.authority(HostAndPort.create("greeter", 50051));
        request.putHeader("content-type", "application/grpc");
        request.setChunked(true);
        // Attached before anything is sent, so they run on the stream's event loop as the response arrives, before
        // its first chunk and its end: asking a response for its end once it has ended is an error.
        var response = request.response().onSuccess(r -> {
            r.handler(chunk -> {
                all.append(chunk);
                firstEcho.tryComplete(chunk.toString());
            });
            r.end().onComplete(ended);
        });
        request.write(Buffer.buffer("one"));

        assertThat(TestMesh.await(firstEcho.future())).isEqualTo("echo:one");
        request.end(Buffer.buffer("two"));
        HttpClientResponse r = TestMesh.await(response);
        TestMesh.await(ended.future());
        assertThat(all.toString()).isEqualTo("echo:oneecho:two");
        assertThat(r.trailers().get("grpc-status")).isEqualTo("0");
    }
}
