package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code per_request_buffer_limit_bytes} (route, else virtual host): a request body within the limit
 * is replayed on retries; a larger one is still sent, once, and not retried (Envoy gives up the retry
 * rather than failing the request), whether it has a Content-Length or comes chunked.
 */
class RetryBufferLimitTest {

    static final String HOST = "svc.local";

    @TempDir
    Path dir;
    TestMesh mesh;
    AppServer app;
    HttpClient client;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        app = mesh.app("app");
        app.status.set(503);
        client = mesh.vertx.createHttpClient();
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    /** A listener whose one route retries 503 twice; limits in bytes, -1 = not set. */
    private int listener(long vhostLimit, long routeLimit) {
        DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        dp.clusters().apply(Map.of("svc", Xds.staticCluster("svc", "127.0.0.1", app.port)), "1");
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "r")), "1");
        Route.Builder route = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setCluster("svc").setRetryPolicy(RetryPolicy.newBuilder()
                        .setRetryOn("5xx").setNumRetries(UInt32Value.of(2))));
        if (routeLimit >= 0) {
            route.setPerRequestBufferLimitBytes(UInt32Value.of((int) routeLimit));
        }
        VirtualHost.Builder vh = VirtualHost.newBuilder().setName("svc").addDomains(HOST).addRoutes(route);
        if (vhostLimit >= 0) {
            vh.setPerRequestBufferLimitBytes(UInt32Value.of((int) vhostLimit));
        }
        dp.routes().apply(Map.of("r", Xds.routes("r", vh.build())), "1");
        return port;
    }

    private static String body(int n) {
        return "b".repeat(n);
    }

    private TestMesh.Reply post(int port, String body) {
        return mesh.send(HttpMethod.POST, "127.0.0.2", port, HOST, "/x", Map.of(), Buffer.buffer(body));
    }

    /** A POST whose body comes chunked, in pieces of 256 bytes (no Content-Length). */
    private TestMesh.Reply postChunked(int port, String body) {
        return postInPieces(client, io.vertx.core.http.HttpVersion.HTTP_1_1, port, body);
    }

    /** A POST without Content-Length whose body is written in pieces of 256 bytes: chunked over HTTP/1.1, DATA frames over h2. */
    private static TestMesh.Reply postInPieces(HttpClient via, io.vertx.core.http.HttpVersion version, int port, String body) {
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.2").setPort(port).setURI("/x");
        Future<TestMesh.Reply> f = via.request(o).compose(req -> {
            req.authority(HostAndPort.create(HOST, -1));
            req.setChunked(true); // over HTTP/2 no Content-Length either: the body in DATA frames
            assertThat(req.version()).isEqualTo(version);
            Future<TestMesh.Reply> reply = req.response()
                    .compose(resp -> resp.body().map(b -> new TestMesh.Reply(resp.statusCode(), resp, b.toString())));
            for (int i = 0; i < body.length(); i += 256) {
                req.write(body.substring(i, Math.min(body.length(), i + 256)));
            }
            req.end();
            return reply;
        });
        return TestMesh.await(f);
    }

    @Test
    void aBodyWithinTheRouteLimitIsRetriedAndALargerOneIsSentOnce() {
        int port = listener(-1, 1024);

        TestMesh.Reply small = post(port, body(1024));
        assertThat(small.status()).isEqualTo(503);
        assertThat(small.body()).isEqualTo("app:" + body(1024));
        assertThat(app.hits.get()).isEqualTo(3);

        TestMesh.Reply large = post(port, body(4096));
        assertThat(large.status()).isEqualTo(503);
        assertThat(large.body()).isEqualTo("app:" + body(4096));
        assertThat(app.hits.get()).as("sent once, not retried").isEqualTo(4);
    }

    @Test
    void withoutALimitTheProxyLimitAllowsTheRetry() {
        int port = listener(-1, -1);

        post(port, body(4096));

        assertThat(app.hits.get()).isEqualTo(3);
    }

    @Test
    void theVirtualHostLimitAppliesAndTheRouteLimitWins() {
        int vhostOnly = listener(1024, -1);
        post(vhostOnly, body(4096));
        assertThat(app.hits.get()).isEqualTo(1);

        int routeWins = listener(1024, 8192);
        post(routeWins, body(4096));
        assertThat(app.hits.get()).isEqualTo(1 + 3);
    }

    @Test
    void aChunkedBodyPastTheLimitStreamsOnceAndASmallerOneIsReplayed() {
        int port = listener(-1, 1024);

        TestMesh.Reply large = postChunked(port, body(4096));
        assertThat(large.status()).as("streamed, not refused").isEqualTo(503);
        assertThat(large.body()).isEqualTo("app:" + body(4096));
        assertThat(app.hits.get()).isEqualTo(1);

        TestMesh.Reply small = postChunked(port, body(600));
        assertThat(small.body()).isEqualTo("app:" + body(600));
        assertThat(app.hits.get()).isEqualTo(1 + 3);
    }

    /** A POST over HTTP/2 (h2c, prior knowledge) whose body comes in DATA frames of 256 bytes, without Content-Length. */
    private TestMesh.Reply postHttp2(int port, String body) {
        HttpClient h2 = mesh.vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        return postInPieces(h2, io.vertx.core.http.HttpVersion.HTTP_2, port, body);
    }

    @Test
    void anHttp2BodyWithoutContentLengthStreamsPastTheLimitAndIsReplayedWithinIt() {
        int port = listener(-1, 1024);

        TestMesh.Reply small = postHttp2(port, body(600));
        assertThat(small.body()).isEqualTo("app:" + body(600));
        assertThat(app.hits.get()).as("replayed: two retries").isEqualTo(3);

        TestMesh.Reply large = postHttp2(port, body(4096));
        assertThat(large.status()).as("streamed, not refused").isEqualTo(503);
        assertThat(large.body()).isEqualTo("app:" + body(4096));
        assertThat(app.hits.get()).as("past the route limit: sent once").isEqualTo(3 + 1);

        int unlimited = listener(-1, -1);
        TestMesh.Reply huge = postHttp2(unlimited, body(3 << 20));
        assertThat(huge.status()).as("past the proxy's own 1 MiB: sent once, not 413").isEqualTo(503);
        assertThat(huge.body()).hasSize(4 + (3 << 20));
        assertThat(app.hits.get()).isEqualTo(3 + 1 + 1);
    }
}
