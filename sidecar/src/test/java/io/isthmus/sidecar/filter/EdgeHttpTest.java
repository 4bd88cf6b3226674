package io.isthmus.sidecar.filter;

import static io.isthmus.sidecar.testing.GatewayXds.chain;
import static io.isthmus.sidecar.testing.GatewayXds.connectionLimit;
import static io.isthmus.sidecar.testing.GatewayXds.hcm;
import static io.isthmus.sidecar.testing.GatewayXds.hcmFilter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.GatewayXds;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.xds.XdsResourceException;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP connection manager of an edge (gateway) listener: https redirect, x-forwarded-for with
 * trusted hops, the request header size limit, the per-client local rate limit, the connection limit,
 * and the NACK of fields it cannot honour.
 */
class EdgeHttpTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane gateway;
    AppServer app;
    int port;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        app = mesh.app("reviews");
        gateway = mesh.dataPlane(mesh.workload("east", "istio-system", "istio-ingressgateway"));
        gateway.clusters().apply(Map.of("outbound|9080||reviews", Xds.staticCluster("outbound|9080||reviews", "127.0.0.1", app.port)), "1");
        port = TestMesh.freePort();
        routes(VirtualHost.TlsRequirementType.NONE);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private void routes(VirtualHost.TlsRequirementType requireTls) {
        gateway.routes().apply(Map.of("http.80", Xds.routes("http.80",
                Xds.vhost("reviews.example.com:80", List.of("reviews.example.com", "reviews.example.com:80"),
                        Xds.prefixRoute("/", "outbound|9080||reviews")).toBuilder().setRequireTls(requireTls).build())), "1");
    }

    private void listener(HttpConnectionManager.Builder h, io.envoyproxy.envoy.config.listener.v3.Filter... before) {
        io.envoyproxy.envoy.config.listener.v3.Filter[] filters = java.util.Arrays.copyOf(before, before.length + 1);
        filters[before.length] = hcmFilter(h);
        gateway.listeners().apply(Map.of("0.0.0.0_80", GatewayXds.listener("0.0.0.0_80", "127.0.0.1", port,
                chain(List.of(), Optional.empty(), filters))), "1");
    }

    private TestMesh.Reply get(String path, Map<String, String> headers) {
        return mesh.send(HttpMethod.GET, "127.0.0.1", port, "reviews.example.com", path, headers, null);
    }

    @Test
    void requireTlsRedirectsPlaintextToHttps() {
        routes(VirtualHost.TlsRequirementType.ALL);
        listener(hcm("http.80", 0));
        TestMesh.Reply r = get("/productpage?u=1", Map.of());
        assertThat(r.status()).isEqualTo(301);
        assertThat(r.header("location")).isEqualTo("https://reviews.example.com/productpage?u=1");
        assertThat(app.hits.get()).isZero();
    }

    @Test
    void forwardedForAppendsThePeerAndTrustsTheConfiguredHops() {
        listener(hcm("http.80", 1));
        assertThat(get("/", Map.of("x-forwarded-for", "203.0.113.7, 10.0.0.9", "x-envoy-external-address", "1.1.1.1")).status())
                .isEqualTo(200);
        var h = app.lastHeaders.get();
        assertThat(h.get("x-forwarded-for")).isEqualTo("203.0.113.7,10.0.0.9,127.0.0.1");
        assertThat(h.get("x-envoy-external-address")).isEqualTo("10.0.0.9");
        assertThat(h.get("x-forwarded-proto")).isEqualTo("http");

        listener(hcm("http.80", 2));
        get("/", Map.of("x-forwarded-for", "203.0.113.7, 10.0.0.9"));
        assertThat(app.lastHeaders.get().get("x-envoy-external-address")).isEqualTo("203.0.113.7");
    }

    @Test
    void oversizedRequestHeadersAre431() {
        listener(hcm("http.80", 0).setMaxRequestHeadersKb(UInt32Value.of(2)));
        assertThat(get("/", Map.of("x-small", "a".repeat(100))).status()).isEqualTo(200);
        assertThat(get("/", Map.of("x-big", "a".repeat(4096))).status()).isEqualTo(431);
    }

    @Test
    void rateLimitIsPerClientAddress() {
        listener(hcm("http.80", 0, GatewayXds.rateLimitPerClient(2, 3600)));
        HttpClient from3 = mesh.vertx.createHttpClient(new HttpClientOptions().setLocalAddress("127.0.0.3").setKeepAlive(false));
        assertThat(get("/", Map.of()).status()).isEqualTo(200);
        assertThat(get("/", Map.of()).status()).isEqualTo(200);
        TestMesh.Reply limited = get("/", Map.of());
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("x-local-rate-limit")).isEqualTo("true");
        RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(port).setURI("/").putHeader("host", "reviews.example.com");
        int other = TestMesh.await(from3.request(o).compose(req -> req.send()).map(r -> r.statusCode()));
        assertThat(other).isEqualTo(200);
        assertThat(gateway.telemetry().registry().find("isthmus_downstream_rejected").tag("reason", "rate_limit").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void behindTheFrontSocketTheClientAddressIsTheRealOne() {
        // a connection limit puts the listener behind its front socket, which hands connections over loopback
        listener(hcm("http.80", 0, GatewayXds.rateLimitPerClient(1, 3600)), connectionLimit(100));
        assertThat(gateway.activeListeners()).singleElement().extracting(l -> l.serving())
                .isEqualTo(io.isthmus.sidecar.listener.ListenerConfig.Serving.BY_SERVER_NAME);
        HttpClient from3 = mesh.vertx.createHttpClient(new HttpClientOptions().setLocalAddress("127.0.0.3").setKeepAlive(false));
        RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(port).setURI("/").putHeader("host", "reviews.example.com");
        assertThat((int) TestMesh.await(from3.request(o).compose(req -> req.send()).map(r -> r.statusCode()))).isEqualTo(200);
        assertThat(app.lastHeaders.get().get("x-forwarded-for")).isEqualTo("127.0.0.3");
        assertThat(app.lastHeaders.get().get("x-envoy-external-address")).isEqualTo("127.0.0.3");
        assertThat((int) TestMesh.await(from3.request(o).compose(req -> req.send()).map(r -> r.statusCode()))).isEqualTo(429);
        assertThat(get("/", Map.of()).status()).as("another client address has its own bucket").isEqualTo(200);
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAtAccept() {
        listener(hcm("http.80", 0), connectionLimit(1));
        NetClient net = mesh.vertx.createNetClient(new NetClientOptions());
        // two connections at once: the listener's event loops may accept them in either order, one is closed.
        // Each close handler is set as its connection completes, on its event loop, so a close that comes
        // at once (the rejected one is closed at accept) cannot pass before the handler is there.
        AtomicBoolean firstClosed = new AtomicBoolean();
        AtomicBoolean secondClosed = new AtomicBoolean();
        NetSocket first = TestMesh.await(net.connect(port, "127.0.0.1").onSuccess(s -> s.closeHandler(v -> firstClosed.set(true))));
        NetSocket second = TestMesh.await(net.connect(port, "127.0.0.1").onSuccess(s -> s.closeHandler(v -> secondClosed.set(true))));
        await().atMost(Duration.ofSeconds(30)).until(() -> firstClosed.get() || secondClosed.get());
        assertThat(firstClosed.get() && secondClosed.get()).as("one connection stays open").isFalse();
        assertThat(gateway.telemetry().registry().find("isthmus_downstream_rejected").tag("reason", "connection_limit")
                .counter().count()).isEqualTo(1.0);
        NetSocket open = firstClosed.get() ? second : first;
        open.close();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            try {
                return get("/", Map.of()).status() == 200;
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    @Test
    void unsupportedFieldsAreRejectedWithTheirName() {
        assertThatThrownBy(() -> listener(hcm("http.80", 0).setSkipXffAppend(true)))
                .isInstanceOf(XdsResourceException.class).hasMessageContaining("skip_xff_append");
    }
}
