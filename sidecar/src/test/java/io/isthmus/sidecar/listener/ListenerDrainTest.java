package io.isthmus.sidecar.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A listener that an LDS update rebinds (its socket changes: TLS, limits, address) or removes is drained, as Envoy
 * drains it: it stops accepting at once, a request in flight on it is answered, a kept-alive HTTP/1.1 connection is
 * closed once its response is complete, and an opaque TCP connection goes on until the drain time ends.
 */
class ListenerDrainTest {
    private static final String CLUSTER = "outbound|80||known.default.svc.cluster.local";
    private static final String HOST = "known.default.svc.cluster.local";
    /** The test data plane's drain time: long enough for the slow request, short enough to see a TCP drain end. */
    private static final Duration DRAIN = Duration.ofSeconds(3);
    /** How long the app takes to answer the request that is in flight during the update. */
    private static final int SLOW_MILLIS = 1500;

    @TempDir
    Path dir;
    TestMesh mesh;
    AppServer app;
    DataPlane dp;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        app = mesh.app("known");
        dp = mesh.dataPlane(mesh.workload("east", "default", "client"), DRAIN);
        dp.clusters().apply(Map.of(CLUSTER, Xds.staticCluster(CLUSTER, "127.0.0.1", app.port)), "1");
        dp.routes().apply(Map.of("80", Xds.routes("80",
                Xds.vhost("known", List.of(HOST), Xds.prefixRoute("/", CLUSTER)))), "1");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void aRequestInFlightWhenItsListenerIsReboundIsAnsweredAndItsConnectionThenClosed() throws Exception {
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "80")), "1");
        try (Socket kept = new Socket("127.0.0.2", port)) {
            assertThat(exchange(kept)).startsWith("HTTP/1.1 200");
            app.delayMillis.set(SLOW_MILLIS);
            int before = app.hits.get();
            CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> exchange(kept));
            awaitHits(before + 1);

            // a larger header limit needs a new socket at the same address
            dp.listeners().apply(Map.of("out", withMaxHeadersKb(Xds.outboundHttp("out", "127.0.0.2", port, "80"), 96)), "2");

            assertThat(inFlight.get(30, TimeUnit.SECONDS)).as("the request in flight on the replaced socket").startsWith("HTTP/1.1 200");
            assertThat(kept.getInputStream().read()).as("the drained connection is closed after its response").isEqualTo(-1);
        }
        app.delayMillis.set(0);
        try (Socket fresh = new Socket("127.0.0.2", port)) {
            assertThat(exchange(fresh)).as("the new socket serves new connections").startsWith("HTTP/1.1 200");
        }
        assertThat(dp.activeListeners()).singleElement()
                .satisfies(c -> assertThat(c.main().maxHeaderBytes()).isEqualTo(96 * 1024));
    }

    @Test
    void aRemovedListenerStopsAcceptingAtOnceAndStillAnswersTheRequestInFlight() throws Exception {
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "80")), "1");
        try (Socket s = new Socket("127.0.0.2", port)) {
            app.delayMillis.set(SLOW_MILLIS);
            CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> exchange(s));
            awaitHits(1);

            dp.listeners().apply(Map.of(), "2");

            assertThatThrownBy(() -> new Socket("127.0.0.2", port).close()).as("the removed listener's port")
                    .isInstanceOf(ConnectException.class);
            assertThat(inFlight.get(30, TimeUnit.SECONDS)).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void aTcpConnectionOutlivesItsListenerForTheDrainTimeAndIsThenClosed() throws Exception {
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("tcp", tcp(port)), "1");
        try (Socket old = new Socket("127.0.0.2", port)) {
            assertThat(exchange(old)).startsWith("HTTP/1.1 200");
            int moved = TestMesh.freePort();
            dp.listeners().apply(Map.of("tcp", tcp(moved)), "2");

            assertThat(exchange(old)).as("the relayed connection goes on after the update").startsWith("HTTP/1.1 200");
            try (Socket fresh = new Socket("127.0.0.2", moved)) {
                assertThat(exchange(fresh)).startsWith("HTTP/1.1 200");
            }
            assertThatThrownBy(() -> new Socket("127.0.0.2", port).close()).isInstanceOf(ConnectException.class);
            old.setSoTimeout((int) DRAIN.plusSeconds(20).toMillis());
            assertThat(old.getInputStream().read()).as("closed when the drain time ends").isEqualTo(-1);
        }
    }

    @Test
    void withNoDrainTimeARebindClosesOpenConnectionsAtOnce() throws Exception {
        DataPlane quick = mesh.dataPlane(mesh.workload("east", "default", "client"), Duration.ZERO);
        quick.clusters().apply(Map.of(CLUSTER, Xds.staticCluster(CLUSTER, "127.0.0.1", app.port)), "1");
        int port = TestMesh.freePort();
        quick.listeners().apply(Map.of("tcp", tcp(port)), "1");
        try (Socket old = new Socket("127.0.0.2", port)) {
            assertThat(exchange(old)).startsWith("HTTP/1.1 200");
            quick.listeners().apply(Map.of("tcp", tcp(TestMesh.freePort())), "2");
            old.setSoTimeout(20_000);
            assertThat(old.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void aStoppingDataPlaneDrainsItsInboundListenersFirstWhileItsOutboundListenersStillServeTheApp() throws Exception {
        // the local app behind the inbound listener answers only when the test lets it
        CompletableFuture<Void> release = new CompletableFuture<>();
        CompletableFuture<Void> received = new CompletableFuture<>();
        io.vertx.core.http.HttpServer local = TestMesh.await(mesh.vertx.createHttpServer().requestHandler(req -> {
            received.complete(null);
            release.thenRun(() -> req.response().end("local"));
        }).listen(0, "127.0.0.1"));
        String inbound = "inbound|80||";
        dp.clusters().apply(Map.of(CLUSTER, Xds.staticCluster(CLUSTER, "127.0.0.1", app.port),
                inbound, Xds.staticCluster(inbound, "127.0.0.1", local.actualPort())), "2");
        dp.routes().apply(Map.of("80", Xds.routes("80", Xds.vhost("known", List.of(HOST), Xds.prefixRoute("/", CLUSTER))),
                "inbound", Xds.routes("inbound", Xds.vhost("inbound", List.of("*"), Xds.prefixRoute("/", inbound)))), "2");
        int outPort = TestMesh.freePort();
        int inPort = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", outPort, "80"),
                "in", Xds.outboundHttp("in", "127.0.0.2", inPort, "inbound").toBuilder()
                        .setTrafficDirection(io.envoyproxy.envoy.config.core.v3.TrafficDirection.INBOUND).build()), "1");

        try (Socket caller = new Socket("127.0.0.2", inPort)) {
            CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> exchange(caller));
            received.get(20, TimeUnit.SECONDS);
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(dp::close);

            awaitRefused(inPort);
            try (Socket appCallsOut = new Socket("127.0.0.2", outPort)) {
                assertThat(exchange(appCallsOut)).as("the app still calls out while its inbound requests finish")
                        .startsWith("HTTP/1.1 200");
            }
            assertThat(stopping).as("stopping waits for the inbound request in flight").isNotDone();

            release.complete(null);
            assertThat(inFlight.get(20, TimeUnit.SECONDS)).startsWith("HTTP/1.1 200");
            stopping.get(30, TimeUnit.SECONDS);
            awaitRefused(outPort);
        }
    }

    private static void awaitRefused(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Socket probe = new Socket("127.0.0.2", port)) {
                Thread.sleep(5);
            } catch (IOException e) {
                return;
            }
        }
        throw new AssertionError("port " + port + " still accepts connections");
    }

    private void awaitHits(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (app.hits.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(app.hits.get()).as("requests the app received").isGreaterThanOrEqualTo(n);
    }

    /** One keep-alive GET on the socket; returns the status line (the body is read to its Content-Length). */
    private static String exchange(Socket s) {
        try {
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed after " + head.size() + " bytes of the response head");
                }
                head.write(b);
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            int length = 0;
            for (String line : text.split("\r\n")) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            in.readNBytes(length);
            return text.substring(0, text.indexOf("\r\n"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Listener withMaxHeadersKb(Listener l, int kb) throws InvalidProtocolBufferException {
        FilterChain chain = l.getFilterChains(0);
        HttpConnectionManager hcm = chain.getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class).toBuilder()
                .setMaxRequestHeadersKb(UInt32Value.of(kb)).build();
        return l.toBuilder().setFilterChains(0, chain.toBuilder().setFilters(0,
                chain.getFilters(0).toBuilder().setTypedConfig(Any.pack(hcm)))).build();
    }

    private static Listener tcp(int port) {
        return Xds.tcpListener("tcp", "127.0.0.2", port, CLUSTER);
    }
}
