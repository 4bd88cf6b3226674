package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fault injection (abort and delay by percentage) and request mirroring. */
class FaultAndMirrorTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;
    AppServer main;
    AppServer shadow;
    int port;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        main = mesh.app("main");
        shadow = mesh.app("shadow");
        dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        dp.clusters().apply(Map.of("main", Xds.staticCluster("main", "127.0.0.1", main.port),
                "shadow", Xds.staticCluster("shadow", "127.0.0.1", shadow.port)), "1");
        port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "80")), "1");
        HTTPFault abortAll = HTTPFault.newBuilder().setAbort(FaultAbort.newBuilder().setHttpStatus(418)
                .setPercentage(FractionalPercent.newBuilder().setNumerator(100))).build();
        HTTPFault delayAll = HTTPFault.newBuilder().setDelay(FaultDelay.newBuilder()
                .setFixedDelay(Duration.newBuilder().setNanos(50_000_000))
                .setPercentage(FractionalPercent.newBuilder().setNumerator(100))).build();
        Route abort = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/abort"))
                .setRoute(RouteAction.newBuilder().setCluster("main"))
                .putTypedPerFilterConfig("envoy.filters.http.fault", Xds.any(abortAll)).build();
        Route delay = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/delay"))
                .setRoute(RouteAction.newBuilder().setCluster("main"))
                .putTypedPerFilterConfig("envoy.filters.http.fault", Xds.any(delayAll)).build();
        Route mirror = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/mirror"))
                .setRoute(RouteAction.newBuilder().setCluster("main").addRequestMirrorPolicies(
                        RouteAction.RequestMirrorPolicy.newBuilder().setCluster("shadow"))).build();
        dp.routes().apply(Map.of("80", Xds.routes("80", Xds.vhost("svc", List.of("svc"), abort, delay, mirror))), "1");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void abortAnswersLocallyWithFi() {
        TestMesh.Reply r = mesh.get("127.0.0.2", port, "svc", "/abort");
        assertThat(r.status()).isEqualTo(418);
        assertThat(r.header("x-isthmus-response-flags")).isEqualTo("FI");
        assertThat(main.hits.get()).isZero();
    }

    @Test
    void delayedRequestsStillArrive() {
        assertThat(mesh.get("127.0.0.2", port, "svc", "/delay").body()).isEqualTo("main");
    }

    @Test
    void mirroredRequestsReachTheShadowAndTheAnswerComesFromMain() {
        assertThat(mesh.get("127.0.0.2", port, "svc", "/mirror").body()).isEqualTo("main");
        await().atMost(java.time.Duration.ofSeconds(30)).until(() -> shadow.hits.get() == 1);
        assertThat(shadow.lastHeaders.get().get("host")).isEqualTo("svc-shadow");
    }

    /** A POST to {@code /mirror} whose body comes chunked, in pieces of 4 KiB (no Content-Length). */
    private TestMesh.Reply postChunked(int bytes) {
        io.vertx.core.http.HttpClient client = mesh.vertx.createHttpClient();
        io.vertx.core.http.RequestOptions o = new io.vertx.core.http.RequestOptions()
                .setMethod(io.vertx.core.http.HttpMethod.POST).setHost("127.0.0.2").setPort(port).setURI("/mirror");
        io.vertx.core.Future<TestMesh.Reply> f = client.request(o).compose(req -> {
            req.authority(io.vertx.core.net.HostAndPort.create("svc", -1));
            req.setChunked(true);
            io.vertx.core.Future<TestMesh.Reply> reply = req.response()
                    .compose(resp -> resp.body().map(b -> new TestMesh.Reply(resp.statusCode(), resp, b.toString())));
            for (int i = 0; i < bytes; i += 4096) {
                req.write("m".repeat(Math.min(4096, bytes - i)));
            }
            req.end();
            return reply;
        });
        return TestMesh.await(f);
    }

    @Test
    void aChunkedBodyIsStreamedAndMirroredOnceEndedWithinTheBufferLimit() {
        TestMesh.Reply small = postChunked(10_000);
        assertThat(small.status()).isEqualTo(200);
        assertThat(small.body()).hasSize("main:".length() + 10_000);
        await().atMost(java.time.Duration.ofSeconds(30)).until(() -> shadow.hits.get() == 1);
        assertThat(shadow.lastBodyLength.get()).as("the shadow got the whole body").isEqualTo(10_000);

        TestMesh.Reply large = postChunked(3 << 20);
        assertThat(large.status()).as("past the proxy's 1 MiB: streamed, not refused with 413").isEqualTo(200);
        assertThat(large.body()).hasSize("main:".length() + (3 << 20));
        assertThat(main.lastBodyLength.get()).isEqualTo(3 << 20);
        TestMesh.Reply after = mesh.get("127.0.0.2", port, "svc", "/mirror");
        assertThat(after.body()).isEqualTo("main");
        await().atMost(java.time.Duration.ofSeconds(30)).until(() -> shadow.hits.get() == 2);
        assertThat(shadow.lastBodyLength.get()).as("the large body's shadow was given up (as Envoy does); the GET's came")
                .isZero();
    }
}
