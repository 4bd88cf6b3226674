package io.isthmus.sidecar.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream connection lifetimes from {@code common_http_protocol_options}: {@code idle_timeout}
 * (Envoy's 1 h by default, 0 = none) and {@code max_requests_per_connection} are read from the typed
 * {@code HttpProtocolOptions} or the deprecated cluster fields, other fields are rejected naming
 * them, and both limits hold on real sockets at a loopback server that counts its connections.
 */
class ConnectionLifetimeTest {

    private static final String KEY = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    private static final String COMMON = "typed_extension_protocol_options.common_http_protocol_options";

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;
    int outboundPort;
    /** Requests served per upstream connection, in the order the connections were accepted. */
    final Map<HttpConnection, AtomicInteger> served = new ConcurrentHashMap<>();
    final Map<HttpConnection, Boolean> open = new ConcurrentHashMap<>();
    final AtomicInteger accepted = new AtomicInteger();
    final java.util.Set<io.vertx.core.http.HttpVersion> versions = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        dp = mesh.dataPlane(mesh.workload("east", "default", "productpage"));
        outboundPort = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", outboundPort, "80")), "1");
        dp.routes().apply(Map.of("80", Xds.routes("80", Xds.vhost("app", List.of("app"), Xds.prefixRoute("/", "app")))), "1");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void defaultsAreEnvoysOneHourIdleTimeoutAndNoRequestLimit() throws Exception {
        ClusterConfig c = ClusterTranslator.translate(Xds.staticCluster("c", "127.0.0.1", 1));

        assertThat(c.idleTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(c.maxRequestsPerConnection()).isZero();
    }

    @Test
    void typedCommonOptionsAreRead() throws Exception {
        ClusterConfig c = ClusterTranslator.translate(withCommon(o -> o
                .setIdleTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(30))
                .setMaxRequestsPerConnection(UInt32Value.of(7))));

        assertThat(c.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.maxRequestsPerConnection()).isEqualTo(7);
    }

    @Test
    void aZeroIdleTimeoutDisablesItAndAFractionRoundsUpToASecond() throws Exception {
        ClusterConfig none = ClusterTranslator.translate(withCommon(o -> o
                .setIdleTimeout(com.google.protobuf.Duration.getDefaultInstance())));
        ClusterConfig half = ClusterTranslator.translate(withCommon(o -> o
                .setIdleTimeout(com.google.protobuf.Duration.newBuilder().setNanos(500_000_000))));

        assertThat(none.idleTimeout()).isZero();
        assertThat(UpstreamCluster.keepAliveSeconds(none.idleTimeout())).isZero();
        assertThat(UpstreamCluster.keepAliveSeconds(half.idleTimeout())).isEqualTo(1);
        assertThat(UpstreamCluster.keepAliveSeconds(Duration.ofHours(1))).isEqualTo(3600);
    }

    @Test
    @SuppressWarnings("deprecation")
    void theDeprecatedClusterFieldsAreReadToo() throws Exception {
        Cluster c = Xds.staticCluster("c", "127.0.0.1", 1).toBuilder()
                .setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder()
                        .setIdleTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(5)))
                .setMaxRequestsPerConnection(UInt32Value.of(3)).build();

        ClusterConfig config = ClusterTranslator.translate(c);

        assertThat(config.idleTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.maxRequestsPerConnection()).isEqualTo(3);
    }

    @Test
    @SuppressWarnings("deprecation")
    void commonOptionsInBothPlacesAreRejected() {
        Cluster c = withCommon(o -> o.setMaxRequestsPerConnection(UInt32Value.of(2))).toBuilder()
                .setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder()
                        .setMaxRequestsPerConnection(UInt32Value.of(3))).build();

        assertRejected(c, "common_http_protocol_options");
    }

    @Test
    @SuppressWarnings("deprecation")
    void optionsTheProxyCannotHonourAreRejectedNamingTheField() {
        com.google.protobuf.Duration second = com.google.protobuf.Duration.newBuilder().setSeconds(1).build();
        assertRejected(withCommon(o -> o.setMaxConnectionDuration(second)), COMMON + ".max_connection_duration");
        assertRejected(withCommon(o -> o.setMaxHeadersCount(UInt32Value.of(10))), COMMON + ".max_headers_count");
        assertRejected(withCommon(o -> o.setMaxStreamDuration(second)), COMMON + ".max_stream_duration");
        assertRejected(withCommon(o -> o.setHeadersWithUnderscoresAction(HttpProtocolOptions.HeadersWithUnderscoresAction.REJECT_REQUEST)),
                COMMON + ".headers_with_underscores_action");
        assertRejected(withCommon(o -> o.setMaxResponseHeadersKb(UInt32Value.of(80))), COMMON + ".max_response_headers_kb");
        assertRejected(Xds.staticCluster("c", "127.0.0.1", 1).toBuilder()
                        .setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder().setMaxStreamDuration(second)).build(),
                "common_http_protocol_options.max_stream_duration");
    }

    @Test
    void aConnectionIsRetiredAfterMaxRequestsPerConnection() {
        int port = countingServer();
        dp.clusters().apply(Map.of("app", withCommon(Xds.staticCluster("app", "127.0.0.1", port),
                o -> o.setMaxRequestsPerConnection(UInt32Value.of(2)))), "1");

        for (int i = 0; i < 6; i++) {
            assertThat(mesh.get("127.0.0.2", outboundPort, "app", "/").status()).isEqualTo(200);
        }

        assertThat(served.values()).allSatisfy(n -> assertThat(n.get()).isLessThanOrEqualTo(2));
        assertThat(served.values().stream().mapToInt(AtomicInteger::get).sum()).isEqualTo(6);
        assertThat(accepted.get()).isGreaterThanOrEqualTo(3);
        // a connection that carried its two requests is closed, not returned to the pool
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(served.entrySet()).allSatisfy(e -> {
            if (e.getValue().get() == 2) {
                assertThat(open).doesNotContainKey(e.getKey());
            }
        }));
    }

    @Test
    void anHttp2ConnectionIsRetiredAfterMaxRequestsPerConnection() {
        int port = countingServer();
        var h2 = io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.newBuilder()
                .setExplicitHttpConfig(io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig
                        .newBuilder().setHttp2ProtocolOptions(io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.getDefaultInstance()))
                .setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder().setMaxRequestsPerConnection(UInt32Value.of(2)))
                .build();
        dp.clusters().apply(Map.of("app", Xds.staticCluster("app", "127.0.0.1", port).toBuilder()
                .putTypedExtensionProtocolOptions(KEY, Any.pack(h2)).build()), "1");

        for (int i = 0; i < 6; i++) {
            assertThat(mesh.get("127.0.0.2", outboundPort, "app", "/").status()).isEqualTo(200);
        }

        assertThat(versions).containsOnly(io.vertx.core.http.HttpVersion.HTTP_2);
        assertThat(served.values()).allSatisfy(n -> assertThat(n.get()).isLessThanOrEqualTo(2));
        assertThat(accepted.get()).isGreaterThanOrEqualTo(3);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(served.entrySet()).allSatisfy(e -> {
            if (e.getValue().get() == 2) {
                assertThat(open).doesNotContainKey(e.getKey());
            }
        }));
    }

    @Test
    void withoutALimitOneConnectionCarriesEveryRequest() {
        int port = countingServer();
        dp.clusters().apply(Map.of("app", Xds.staticCluster("app", "127.0.0.1", port)), "1");

        for (int i = 0; i < 6; i++) {
            assertThat(mesh.get("127.0.0.2", outboundPort, "app", "/").status()).isEqualTo(200);
        }

        assertThat(served.values()).anySatisfy(n -> assertThat(n.get()).isGreaterThan(2));
    }

    @Test
    void anIdlePooledConnectionIsClosedAfterTheIdleTimeout() {
        int port = countingServer();
        dp.clusters().apply(Map.of("app", withCommon(Xds.staticCluster("app", "127.0.0.1", port),
                o -> o.setIdleTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1)))), "1");

        assertThat(mesh.get("127.0.0.2", outboundPort, "app", "/").status()).isEqualTo(200);
        assertThat(accepted.get()).isEqualTo(1);

        await().atMost(Duration.ofSeconds(15)).until(open::isEmpty);
        assertThat(mesh.get("127.0.0.2", outboundPort, "app", "/").status()).isEqualTo(200);
        assertThat(accepted.get()).isEqualTo(2);
    }

    private int countingServer() {
        HttpServer server = mesh.vertx.createHttpServer()
                .connectionHandler(conn -> {
                    accepted.incrementAndGet();
                    open.put(conn, true);
                    served.put(conn, new AtomicInteger());
                    conn.closeHandler(v -> open.remove(conn));
                })
                .requestHandler(req -> {
                    served.computeIfAbsent(req.connection(), c -> new AtomicInteger()).incrementAndGet();
                    versions.add(req.version());
                    req.response().end("ok");
                });
        return TestMesh.await(server.listen(0, "127.0.0.1")).actualPort();
    }

    private static Cluster withCommon(UnaryOperator<HttpProtocolOptions.Builder> common) {
        return withCommon(Xds.staticCluster("c", "127.0.0.1", 1), common);
    }

    private static Cluster withCommon(Cluster c, UnaryOperator<HttpProtocolOptions.Builder> common) {
        var typed = io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.newBuilder()
                .setCommonHttpProtocolOptions(common.apply(HttpProtocolOptions.newBuilder()))
                .setUseDownstreamProtocolConfig(
                        io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.UseDownstreamHttpConfig.getDefaultInstance())
                .build();
        return c.toBuilder().putTypedExtensionProtocolOptions(KEY, Any.pack(typed)).build();
    }

    private static void assertRejected(Cluster c, String field) {
        assertThatThrownBy(() -> ClusterTranslator.translate(c))
                .isInstanceOfSatisfying(InvalidResourceException.class, e -> assertThat(e.field()).isEqualTo(field));
    }
}
