package io.isthmus.sidecar.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark's app and load generator.
 * {@code BenchLoad app PORT}: answers every request with 1 KiB.
 * {@code BenchLoad rate HOST PORT AUTHORITY RPS SECONDS}: open-loop fixed rate after 2 s ({@code -Dbench.warmup=S}:
 * S s) of unmeasured warm-up at the same rate; prints p50 p90 p99 (ms) and errors ({@code -Dbench.timeline=true}: also p50 and max per second of
 * schedule on stderr, to tell a backlog from isolated stalls).
 * {@code BenchLoad max HOST PORT AUTHORITY CONNECTIONS SECONDS}: closed loop; prints requests/s, errors and the
 * successful requests of the whole run ({@code -Dbench.warmup=S}: requests/s after S seconds of unmeasured warm-up
 * on the same client).
 * HTTPS with {@code -Dbench.tls=CA_FILE}: the authority's host is the SNI and the name verified against CA_FILE's
 * roots, every handshake a full one (no session resumption). {@code -Dbench.keepAlive=false}: one request per
 * connection.
 */
public final class BenchLoad {

    public static void main(String[] args) throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1));
        switch (args[0]) {
            case "app" -> {
                Buffer kib = Buffer.buffer(new byte[1024]);
                try {
                    vertx.createHttpServer().requestHandler(r -> r.response().end(kib))
                            .listen(Integer.parseInt(args[1]), "127.0.0.1").toCompletionStage().toCompletableFuture().get();
                } catch (Exception e) {
                    e.printStackTrace();
                    System.exit(1);
                }
                System.out.println("ready app " + ProcessHandle.current().pid());
                Thread.currentThread().join();
            }
            case "rate" -> rate(vertx, args);
            case "max" -> max(vertx, args);
            default -> throw new IllegalArgumentException(args[0]);
        }
        vertx.close();
        System.exit(0);
    }

    private static final String TLS_CA = System.getProperty("bench.tls");

    private static HttpClientAgent client(Vertx vertx, int connections) {
        HttpClientOptions o = new HttpClientOptions().setKeepAlive(!"false".equals(System.getProperty("bench.keepAlive")))
                .setTcpNoDelay(true);
        if (TLS_CA != null) {
            o.setSsl(true).setForceSni(true).setVerifyHost(true).setTrustOptions(new PemTrustOptions().addCertPath(TLS_CA))
                    .setSslEngineOptions(OpenSSLEngineOptions.isAvailable()
                            ? new OpenSSLEngineOptions().setSessionCacheEnabled(false) : new JdkSSLEngineOptions());
        }
        return vertx.httpClientBuilder().with(o)
                .with(new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1)).build();
    }

    private static RequestOptions options(String[] args) {
        int port = Integer.parseInt(args[2]);
        if (TLS_CA != null) {
            return new RequestOptions().setMethod(HttpMethod.GET).setServer(SocketAddress.inetSocketAddress(port, args[1]))
                    .setHost(HostAndPort.parseAuthority(args[3], -1).host()).setPort(port).setURI("/bench");
        }
        return new RequestOptions().setMethod(HttpMethod.GET).setHost(args[1]).setPort(port).setURI("/bench");
    }

    private static void rate(Vertx vertx, String[] args) throws Exception {
        int rps = Integer.parseInt(args[4]);
        int seconds = Integer.parseInt(args[5]);
        HostAndPort authority = HostAndPort.parseAuthority(args[3], -1);
        HttpClientAgent c = client(vertx, 64);
        int warm = rps * Integer.getInteger("bench.warmup", 2);
        int total = rps * seconds + warm;
        long[] latencies = new long[total];
        AtomicLong errors = new AtomicLong();
        CountDownLatch done = new CountDownLatch(total);
        long start = System.nanoTime();
        long intervalNanos = 1_000_000_000L / rps;
        int[] sent = {0};
        vertx.setPeriodic(1, id -> {
            long due = (System.nanoTime() - start) / intervalNanos;
            while (sent[0] < total && sent[0] <= due) {
                int i = sent[0]++;
                long scheduled = start + i * intervalNanos;
                c.request(options(args)).compose(req -> req.authority(authority).send().compose(r -> r.body().map(b -> r.statusCode())))
                        .onComplete(ar -> {
                            latencies[i] = System.nanoTime() - scheduled;
                            if ((ar.failed() || ar.result() != 200) && errors.incrementAndGet() <= 3) {
                                System.err.println("error: " + (ar.succeeded() ? "status " + ar.result() : ar.cause()));
                            }
                            done.countDown();
                        });
            }
            if (sent[0] >= total) {
                vertx.cancelTimer(id);
            }
        });
        done.await();
        if (Boolean.getBoolean("bench.timeline")) {
            for (int from = 0; from < total; from += rps) {
                long[] second = Arrays.copyOfRange(latencies, from, Math.min(total, from + rps));
                Arrays.sort(second);
                System.err.printf("second %d: p50 %.3f max %.3f ms%n", from / rps, second[second.length / 2] / 1e6,
                        second[second.length - 1] / 1e6);
            }
        }
        long[] measured = Arrays.copyOfRange(latencies, warm, total);
        Arrays.sort(measured);
        int n = measured.length;
        System.out.printf("%.3f %.3f %.3f %d%n", measured[n / 2] / 1e6, measured[(int) (n * 0.9)] / 1e6,
                measured[(int) (n * 0.99)] / 1e6, errors.get());
    }

    private static void max(Vertx vertx, String[] args) throws Exception {
        int conns = Integer.parseInt(args[4]);
        int seconds = Integer.parseInt(args[5]);
        HostAndPort authority = HostAndPort.parseAuthority(args[3], -1);
        HttpClientAgent c = client(vertx, conns);
        int warmup = Integer.getInteger("bench.warmup", 0);
        long warmed = warmup > 0 ? closedLoop(c, args, authority, conns, warmup)[0] : 0;
        long[] counts = closedLoop(c, args, authority, conns, seconds);
        System.out.printf("%.0f %d %d%n", counts[0] / (double) seconds, counts[1], warmed + counts[0]);
    }

    /** Runs {@code conns} request loops for {@code seconds}; returns the successes and the errors. */
    private static long[] closedLoop(HttpClientAgent c, String[] args, HostAndPort authority, int conns, int seconds)
            throws InterruptedException {
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        CountDownLatch done = new CountDownLatch(conns);
        for (int k = 0; k < conns; k++) {
            loop(c, args, authority, ok, errors, end, done);
        }
        done.await();
        return new long[] {ok.get(), errors.get()};
    }

    private static void loop(HttpClientAgent c, String[] args, HostAndPort authority, AtomicLong ok, AtomicLong errors,
                             long end, CountDownLatch done) {
        if (System.nanoTime() > end) {
            done.countDown();
            return;
        }
        c.request(options(args)).compose(req -> req.authority(authority).send().compose(r -> r.body().map(b -> r.statusCode())))
                .onComplete(ar -> {
                    if (ar.succeeded() && ar.result() == 200) {
                        ok.incrementAndGet();
                    } else if (errors.incrementAndGet() <= 3) {
                        System.err.println("error: " + (ar.succeeded() ? "status " + ar.result() : ar.cause()));
                    }
                    loop(c, args, authority, ok, errors, end, done);
                });
    }
}
