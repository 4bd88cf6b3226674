package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code outboundTrafficPolicy: REGISTRY_ONLY}: the route configuration ends with the virtual host
 * {@code block_all} whose route answers 502 by {@code direct_response}; such calls are flagged
 * {@code NR} and counted with the requested Host as destination service, while registry hosts are
 * routed as before. Other direct responses answer their status and body without a flag.
 */
class BlockAllTest {

    @TempDir
    Path dir;
    TestMesh mesh;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    static Route direct(int status, String body) {
        DirectResponseAction.Builder d = DirectResponseAction.newBuilder().setStatus(status);
        if (!body.isEmpty()) {
            d.setBody(DataSource.newBuilder().setInlineString(body));
        }
        return Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/")).setDirectResponse(d).build();
    }

    @Test
    void unknownHostsAreRefusedWith502NrAndCounted() {
        AppServer app = mesh.app("known");
        DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        String cluster = "outbound|80||known.default.svc.cluster.local";
        dp.clusters().apply(Map.of(cluster, Xds.staticCluster(cluster, "127.0.0.1", app.port)), "1");
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "80")), "1");
        dp.routes().apply(Map.of("80", Xds.routes("80",
                Xds.vhost("known", List.of("known.default.svc.cluster.local"), Xds.prefixRoute("/", cluster)),
                Xds.vhost("hello", List.of("hello.test"), direct(200, "hello")),
                Xds.vhost(DirectResponse.BLOCK_ALL, List.of("*"), direct(502, "")))), "1");

        TestMesh.Reply refused = mesh.get("127.0.0.2", port, "unknown.example.com", "/x");
        TestMesh.Reply known = mesh.get("127.0.0.2", port, "known.default.svc.cluster.local", "/");
        TestMesh.Reply hello = mesh.get("127.0.0.2", port, "hello.test", "/");

        assertThat(refused.status()).isEqualTo(502);
        assertThat(refused.header("x-isthmus-response-flags")).isEqualTo("NR");
        assertThat(known.status()).isEqualTo(200);
        assertThat(known.body()).isEqualTo("known");
        assertThat(hello.status()).isEqualTo(200);
        assertThat(hello.body()).isEqualTo("hello");
        assertThat(hello.header("x-isthmus-response-flags")).isNull();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Counter c = dp.telemetry().registry().find("istio_requests").tag("response_code", "502")
                    .tag("response_flags", "NR").tag("destination_service", "unknown.example.com").counter();
            assertThat(c).isNotNull();
            assertThat(c.count()).isEqualTo(1.0);
        });
        assertThat(dp.telemetry().scrape()).contains("istio_requests_total{")
                .containsPattern("istio_requests_total\\{[^}]*destination_service=\"unknown.example.com\"[^}]*response_flags=\"NR\"");
    }

    @Test
    void aDirectResponseWithAnInvalidStatusIsRefusedByField() {
        DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        var rc = Xds.routes("80", Xds.vhost(DirectResponse.BLOCK_ALL, List.of("*"), direct(99, "")));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dp.routes().apply(Map.of("80", rc), "1"))
                .hasMessageContaining("direct_response.status");
    }
}
