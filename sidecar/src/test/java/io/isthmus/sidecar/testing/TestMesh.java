package io.isthmus.sidecar.testing;

import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.telemetry.NodeIdentity;
import io.isthmus.sidecar.telemetry.ProxyTelemetry;
import io.isthmus.sidecar.tls.TlsMaterial;
import io.isthmus.sidecar.tls.TlsMaterialSource;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.testing.TestPki;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * A small mesh for data-plane tests: one Vert.x, the trust-bundle test PKI, data planes with
 * workload certificates, upstream app servers on loopback, and a plain HTTP client.
 */
public final class TestMesh implements AutoCloseable {

    public final Vertx vertx = Vertx.vertx();
    public final TestPki pki;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClientAgent client;

    public TestMesh(Path dir) {
        this.pki = TestPki.create(dir);
        this.client = vertx.httpClientBuilder().with(new HttpClientOptions().setKeepAlive(true))
                .with(new PoolOptions().setHttp1MaxSize(64)).build();
    }

    /** Certificate material of a workload of a cluster. */
    public TlsMaterialSource.Mutable workload(String cluster, String ns, String sa) {
        TlsMaterialSource.Mutable m = TlsMaterialSource.mutable();
        m.set(material(pki.workload(cluster, ns, sa)));
        return m;
    }

    public TlsMaterial material(CertifiedKey k) {
        return new TlsMaterial(k.privateKey(), k.chain(), List.of(pki.rootCertificate()));
    }

    /**
     * How long a replaced cluster's pools keep serving the requests in flight on them. Generous on purpose: on a
     * loaded machine a request can take far longer than usual, and closing its pool under it fails it (a test that
     * replaces a cluster mid-traffic would then see a 503 that the proxy would not cause with its real drain time).
     * It is a bound, not a wait: nothing in the tests waits for it.
     */
    static final Duration DRAIN_TIME = Duration.ofSeconds(30);

    private volatile LongSupplier nanoClock = System::nanoTime;

    /**
     * Makes the data planes created from now on read monotonic time (nanoseconds) from {@code clock}: outlier
     * ejections then last exactly as long as the test advances it, however slow the machine.
     */
    public void useClock(LongSupplier clock) {
        this.nanoClock = java.util.Objects.requireNonNull(clock, "clock");
    }

    private volatile RandomGenerator random;

    /**
     * Makes the data planes created from now on draw their random choices (weighted clusters, load balancing) from
     * {@code random}: with a seeded one, a test that counts where connections went sees the same draws every run.
     */
    public void useRandom(RandomGenerator random) {
        this.random = java.util.Objects.requireNonNull(random, "random");
    }

    /** A data plane using that certificate source. */
    public DataPlane dataPlane(TlsMaterialSource tls) {
        return dataPlane(tls, DRAIN_TIME);
    }

    /** A data plane using that certificate source whose removed listeners and clusters drain for {@code drainTime}. */
    public DataPlane dataPlane(TlsMaterialSource tls, Duration drainTime) {
        ProxyTelemetry t = ProxyTelemetry.standalone(new NodeIdentity("app", "default", "east", "app", "v1"),
                () -> tls.current().map(TlsMaterial::spiffeId).orElse(""));
        DataPlane.Options d = DataPlane.Options.of(tls, t);
        DataPlane dp = DataPlane.start(vertx, new DataPlane.Options(tls, t, 2, d.maxBufferedBody(), drainTime,
                nanoClock, random == null ? d.random() : random));
        closeables.add(dp);
        return dp;
    }

    /**
     * A data plane using that certificate source whose bootstrap node has {@code nodeMetadata} (Istio's keys): its
     * telemetry names it by them and it tells its peers about itself with them (peer metadata exchange).
     */
    public DataPlane dataPlane(TlsMaterialSource tls, String nodeId, com.google.protobuf.Struct nodeMetadata) {
        ProxyTelemetry t = new ProxyTelemetry(new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT),
                io.isthmus.sidecar.telemetry.PeerMetadata.identity(nodeMetadata, ""),
                () -> tls.current().map(TlsMaterial::spiffeId).orElse(""),
                io.isthmus.sidecar.telemetry.PeerMetadata.of(nodeId, nodeMetadata));
        DataPlane.Options d = DataPlane.Options.of(tls, t);
        DataPlane dp = DataPlane.start(vertx, new DataPlane.Options(tls, t, 2, d.maxBufferedBody(), DRAIN_TIME,
                nanoClock, random == null ? d.random() : random));
        closeables.add(dp);
        return dp;
    }

    /** An app server on 127.0.0.1. */
    public AppServer app(String name) {
        AppServer s = AppServer.start(vertx, name, "127.0.0.1", freePort());
        closeables.add(s);
        return s;
    }

    /** An app server on 127.0.0.1 at a given port (e.g. a restarted one). */
    public AppServer appOn(String name, int port) {
        AppServer s = AppServer.start(vertx, name, "127.0.0.1", port);
        closeables.add(s);
        return s;
    }

    /** A free TCP port. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends a GET through a proxy listener with the given Host header; returns status, headers and body. */
    public Reply get(String host, int port, String authority, String path) {
        return send(HttpMethod.GET, host, port, authority, path, Map.of(), null);
    }

    public Reply send(HttpMethod method, String host, int port, String authority, String path, Map<String, String> headers,
                      Buffer body) {
        RequestOptions o = new RequestOptions().setMethod(method).setHost(host).setPort(port).setURI(path);
        // the body is read in the same callback that receives the response, so none of it is missed
        Future<Reply> f = client.request(o).compose(req -> {
            req.authority(HostAndPort.parseAuthority(authority, -1));
            headers.forEach(req::putHeader);
            return (body == null ? req.send() : req.send(body))
                    .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp, b.toString())));
        });
        return await(f);
    }

    /** Runs {@code n} calls at once on their own threads and returns their results. */
    public static <T> java.util.List<T> parallel(int n, java.util.function.Supplier<T> call) {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            java.util.List<java.util.concurrent.CompletableFuture<T>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(java.util.concurrent.CompletableFuture.supplyAsync(call, pool));
            }
            return fs.stream().map(java.util.concurrent.CompletableFuture::join).toList();
        } finally {
            pool.shutdown();
        }
    }

    public static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A response. */
    public record Reply(int status, HttpClientResponse response, String body) {
        public String header(String name) {
            return response.getHeader(name);
        }
    }

    @Override
    public void close() {
        // the client first, as callers go before their proxies: a closing data plane drains its listeners, and a
        // kept-alive connection of this client through a TCP listener would keep it draining for the drain time
        await(client.close());
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                // best effort
            }
        }
        await(vertx.close());
    }
}
