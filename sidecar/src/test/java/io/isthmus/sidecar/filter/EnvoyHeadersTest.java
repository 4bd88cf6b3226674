package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.errors.ErrorResponder;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The x-envoy-* request headers through a real listener: an internal client (by the connection
 * manager's {@code use_remote_address}, {@code xff_num_trusted_hops} and {@code internal_address_config})
 * steers retries and timeouts with them and they never reach the upstream; an external client's are
 * stripped and change nothing; responses carry {@code x-envoy-upstream-service-time} unless the router
 * suppresses it; upstream requests carry {@code x-envoy-expected-rq-timeout-ms} when there is a timeout, and
 * {@code x-envoy-attempt-count} goes up and down when the virtual host asks for it.
 */
class EnvoyHeadersTest {

    static final String HOST = "svc.local";

    /** How the test listener's connection manager decides who is internal. */
    enum Trust {
        /** use_remote_address, internal_address_config {}: the loopback client (127.0.0.1) is internal. */
        PEER_INTERNAL,
        /** use_remote_address without internal_address_config: nobody is internal. */
        NOBODY,
        /** no use_remote_address, internal_address_config {}: internal when x-forwarded-for is one internal address. */
        BY_XFF
    }

    @TempDir
    Path dir;
    TestMesh mesh;
    AppServer app;
    /** The data plane of the last listener made. */
    DataPlane dp;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        app = mesh.app("app");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private int listener(Trust trust, Router router, RouteAction.Builder action, int upstreamPort) {
        HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder().setStatPrefix("out")
                .setRds(Rds.newBuilder().setRouteConfigName("r").setConfigSource(Xds.ads()))
                .addHttpFilters(HttpFilter.newBuilder().setName("envoy.filters.http.router").setTypedConfig(Xds.any(router)));
        if (trust != Trust.BY_XFF) {
            hcm.setUseRemoteAddress(BoolValue.of(true));
        }
        if (trust != Trust.NOBODY) {
            hcm.setInternalAddressConfig(HttpConnectionManager.InternalAddressConfig.getDefaultInstance());
        }
        dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        dp.clusters().apply(Map.of("svc", Xds.staticCluster("svc", "127.0.0.1", upstreamPort)), "1");
        int port = TestMesh.freePort();
        Listener l = Listener.newBuilder().setName("out").setAddress(Xds.address("127.0.0.2", port))
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager").setTypedConfig(Xds.any(hcm.build()))))
                .build();
        dp.listeners().apply(Map.of("out", l), "1");
        dp.routes().apply(Map.of("r", Xds.routes("r", Xds.vhost("svc", List.of(HOST),
                Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/")).setRoute(action.setCluster("svc")).build()))), "1");
        return port;
    }

    private int listener(Trust trust, RouteAction.Builder action) {
        return listener(trust, Router.getDefaultInstance(), action, app.port);
    }

    private TestMesh.Reply get(int port, String... headers) {
        java.util.Map<String, String> h = new java.util.LinkedHashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            h.put(headers[i], headers[i + 1]);
        }
        return mesh.send(HttpMethod.GET, "127.0.0.2", port, HOST, "/x", h, null);
    }

    @Test
    void anInternalClientTurnsRetriesOnAndTheHeadersNeverReachTheUpstream() {
        app.status.set(503);
        int port = listener(Trust.PEER_INTERNAL, RouteAction.newBuilder());

        assertThat(get(port, "x-envoy-retry-on", "5xx").status()).isEqualTo(503);
        assertThat(app.hits.get()).as("one retry by default").isEqualTo(2);
        assertThat(app.lastHeaders.get().get("x-envoy-retry-on")).isNull();
        assertThat(app.lastHeaders.get().get("x-envoy-internal")).isEqualTo("true");

        get(port, "x-envoy-retry-on", "5xx", "x-envoy-max-retries", "3");
        assertThat(app.hits.get()).isEqualTo(2 + 4);
        assertThat(app.lastHeaders.get().get("x-envoy-max-retries")).isNull();

        get(port, "x-envoy-max-retries", "3");
        assertThat(app.hits.get()).as("no condition, no retry").isEqualTo(2 + 4 + 1);
    }

    @Test
    void anExternalClientsHeadersAreStrippedAndChangeNothing() {
        app.status.set(503);
        int port = listener(Trust.NOBODY, RouteAction.newBuilder());

        get(port, "x-envoy-retry-on", "5xx", "x-envoy-upstream-rq-timeout-ms", "1", "x-envoy-internal", "true");

        assertThat(app.hits.get()).isEqualTo(1);
        assertThat(app.lastHeaders.get().get("x-envoy-retry-on")).isNull();
        assertThat(app.lastHeaders.get().get("x-envoy-upstream-rq-timeout-ms")).isNull();
        assertThat(app.lastHeaders.get().get("x-envoy-internal")).isNull();
        assertThat(app.lastHeaders.get().get("x-envoy-external-address")).isEqualTo("127.0.0.1");
    }

    @Test
    void withoutUseRemoteAddressOnlyASingleInternalForwardedForMakesARequestInternal() {
        app.status.set(503);
        int port = listener(Trust.BY_XFF, RouteAction.newBuilder());

        get(port, "x-envoy-retry-on", "5xx");
        assertThat(app.hits.get()).as("no x-forwarded-for: external").isEqualTo(1);
        get(port, "x-envoy-retry-on", "5xx", "x-forwarded-for", "10.1.0.5, 10.1.0.6");
        assertThat(app.hits.get()).as("two addresses: external").isEqualTo(2);
        get(port, "x-envoy-retry-on", "5xx", "x-forwarded-for", "10.1.0.5");
        assertThat(app.hits.get()).as("one internal address: internal").isEqualTo(4);
    }

    @Test
    void maxRetriesOverridesTheRoutePolicy() {
        app.status.set(503);
        int port = listener(Trust.PEER_INTERNAL, RouteAction.newBuilder().setRetryPolicy(RetryPolicy.newBuilder()
                .setRetryOn("5xx").setNumRetries(UInt32Value.of(2))));

        get(port);
        assertThat(app.hits.get()).isEqualTo(3);
        get(port, "x-envoy-max-retries", "0");
        assertThat(app.hits.get()).isEqualTo(4);
    }

    @Test
    void retriableStatusCodesComeFromTheHeader() {
        app.status.set(418);
        int port = listener(Trust.PEER_INTERNAL, RouteAction.newBuilder());

        get(port, "x-envoy-retry-on", "retriable-status-codes");
        assertThat(app.hits.get()).isEqualTo(1);
        TestMesh.Reply r = get(port, "x-envoy-retry-on", "retriable-status-codes", "x-envoy-retriable-status-codes", "500,418");
        assertThat(r.status()).isEqualTo(418);
        assertThat(app.hits.get()).isEqualTo(3);
    }

    @Test
    void retryGrpcOnRetriesAnUnavailableAnswer() {
        AtomicInteger hits = new AtomicInteger();
        int upstream = TestMesh.freePort();
        TestMesh.await(mesh.vertx.createHttpServer().requestHandler(req -> req.response()
                .putHeader("grpc-status", hits.incrementAndGet() == 1 ? "14" : "0").end("ok")).listen(upstream, "127.0.0.1"));
        int port = listener(Trust.PEER_INTERNAL, Router.getDefaultInstance(), RouteAction.newBuilder(), upstream);

        TestMesh.Reply r = get(port, "x-envoy-retry-grpc-on", "unavailable");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("grpc-status")).isEqualTo("0");
        assertThat(hits.get()).isEqualTo(2);
    }

    @Test
    void theTimeoutHeaderReplacesTheRouteTimeoutAndZeroMeansNone() {
        app.delayMillis.set(600);
        int port = listener(Trust.PEER_INTERNAL, RouteAction.newBuilder()
                .setTimeout(com.google.protobuf.Duration.newBuilder().setNanos(200_000_000)));

        TestMesh.Reply cut = get(port);
        assertThat(cut.status()).isEqualTo(504);
        assertThat(cut.header(ErrorResponder.FLAGS_HEADER)).contains("UT");
        assertThat(get(port, "x-envoy-upstream-rq-timeout-ms", "0").status()).isEqualTo(200);
        assertThat(get(port, "x-envoy-upstream-rq-timeout-ms", "30000").status()).isEqualTo(200);

        app.delayMillis.set(10_000);
        TestMesh.Reply shortened = get(port, "x-envoy-upstream-rq-timeout-ms", "100");
        assertThat(shortened.status()).isEqualTo(504);
    }

    @Test
    void thePerTryTimeoutHeaderCutsAnAttempt() {
        app.delayMillis.set(10_000);
        int port = listener(Trust.PEER_INTERNAL, RouteAction.newBuilder());

        TestMesh.Reply r = get(port, "x-envoy-upstream-rq-per-try-timeout-ms", "200");

        assertThat(r.status()).isEqualTo(504);
        assertThat(r.header(ErrorResponder.FLAGS_HEADER)).contains("UT");
    }

    @Test
    void theAltResponseHeaderTurnsATimeoutInto204ForInternalCallersOnly() {
        app.delayMillis.set(10_000);
        int internal = listener(Trust.PEER_INTERNAL, RouteAction.newBuilder()
                .setTimeout(com.google.protobuf.Duration.newBuilder().setNanos(200_000_000)));

        TestMesh.Reply routeTimeout = get(internal, "x-envoy-upstream-rq-timeout-alt-response", "");
        assertThat(routeTimeout.status()).isEqualTo(204);
        assertThat(routeTimeout.body()).isEmpty();
        assertThat(routeTimeout.header(ErrorResponder.FLAGS_HEADER)).isEqualTo("UT");
        assertThat(app.lastHeaders.get().get("x-envoy-upstream-rq-timeout-alt-response"))
                .as("consumed by the router").isNull();

        TestMesh.Reply perTry = get(internal, "x-envoy-upstream-rq-timeout-alt-response", "yes",
                "x-envoy-upstream-rq-per-try-timeout-ms", "100");
        assertThat(perTry.status()).as("the last try's timeout too").isEqualTo(204);
        assertThat(perTry.header(ErrorResponder.FLAGS_HEADER)).contains("UT");

        int external = listener(Trust.NOBODY, RouteAction.newBuilder()
                .setTimeout(com.google.protobuf.Duration.newBuilder().setNanos(200_000_000)));
        assertThat(get(external, "x-envoy-upstream-rq-timeout-alt-response", "").status())
                .as("stripped from an external request").isEqualTo(504);
    }
    @Test
    void responsesCarryTheUpstreamServiceTimeUnlessTheRouterSuppressesIt() {
        int port = listener(Trust.NOBODY, RouteAction.newBuilder());
        TestMesh.Reply r = get(port);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-envoy-upstream-service-time")).matches("\\d+");

        int quiet = listener(Trust.NOBODY, Router.newBuilder().setSuppressEnvoyHeaders(true).build(),
                RouteAction.newBuilder(), app.port);
        TestMesh.Reply q = get(quiet);
        assertThat(q.status()).isEqualTo(200);
        assertThat(q.header("x-envoy-upstream-service-time")).isNull();
    }

    @Test
    void upstreamsAreToldTheTimeoutTheyHave() {
        int port = listener(Trust.NOBODY, RouteAction.newBuilder()
                .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(3)));
        get(port);
        assertThat(app.lastHeaders.get().get("x-envoy-expected-rq-timeout-ms")).as("the route timeout").isEqualTo("3000");

        int perTry = listener(Trust.NOBODY, RouteAction.newBuilder()
                .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(3))
                .setRetryPolicy(RetryPolicy.newBuilder().setRetryOn("5xx")
                        .setPerTryTimeout(com.google.protobuf.Duration.newBuilder().setNanos(700_000_000))));
        get(perTry);
        assertThat(app.lastHeaders.get().get("x-envoy-expected-rq-timeout-ms")).as("the per-try timeout").isEqualTo("700");

        int internal = listener(Trust.PEER_INTERNAL, RouteAction.newBuilder()
                .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(3)));
        get(internal, "x-envoy-upstream-rq-timeout-ms", "1200");
        assertThat(app.lastHeaders.get().get("x-envoy-expected-rq-timeout-ms")).as("an internal caller's timeout").isEqualTo("1200");

        int none = listener(Trust.NOBODY, RouteAction.newBuilder()
                .setTimeout(com.google.protobuf.Duration.getDefaultInstance()));
        get(none);
        assertThat(app.lastHeaders.get().get("x-envoy-expected-rq-timeout-ms")).as("no timeout").isNull();

        int quiet = listener(Trust.NOBODY, Router.newBuilder().setSuppressEnvoyHeaders(true).build(), RouteAction.newBuilder()
                .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(3)), app.port);
        get(quiet);
        assertThat(app.lastHeaders.get().get("x-envoy-expected-rq-timeout-ms")).as("suppress_envoy_headers").isNull();
    }

    @Test
    void theAttemptCountGoesToTheUpstreamAndBackWhenTheVirtualHostAsks() {
        app.status.set(503);
        int port = listener(Trust.NOBODY, RouteAction.newBuilder().setRetryPolicy(RetryPolicy.newBuilder()
                .setRetryOn("5xx").setNumRetries(UInt32Value.of(2))));
        TestMesh.Reply plain = get(port);
        assertThat(app.lastHeaders.get().get("x-envoy-attempt-count")).as("not asked for").isNull();
        assertThat(plain.header("x-envoy-attempt-count")).isNull();

        dp.routes().apply(Map.of("r", Xds.routes("r", Xds.vhost("svc", List.of(HOST), Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/")).setRoute(RouteAction.newBuilder().setCluster("svc")
                        .setRetryPolicy(RetryPolicy.newBuilder().setRetryOn("5xx").setNumRetries(UInt32Value.of(2)))).build())
                .toBuilder().setIncludeRequestAttemptCount(true).setIncludeAttemptCountInResponse(true).build())), "2");
        int before = app.hits.get();
        TestMesh.Reply counted = get(port);
        assertThat(app.hits.get() - before).isEqualTo(3);
        assertThat(app.lastHeaders.get().get("x-envoy-attempt-count")).as("the third attempt").isEqualTo("3");
        assertThat(counted.status()).isEqualTo(503);
        assertThat(counted.header("x-envoy-attempt-count")).isEqualTo("3");

        app.status.set(200);
        TestMesh.Reply first = get(port);
        assertThat(app.lastHeaders.get().get("x-envoy-attempt-count")).isEqualTo("1");
        assertThat(first.header("x-envoy-attempt-count")).isEqualTo("1");
    }
}
