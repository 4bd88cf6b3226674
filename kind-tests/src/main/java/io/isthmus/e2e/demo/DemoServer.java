package io.isthmus.e2e.demo;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.grpcio.server.GrpcIoServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLSession;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The app side of the demo: one server on one port (the pod's target port, behind the sidecar's
 * inbound listener) that speaks HTTP/1.1 and h2c on the same socket. A request with
 * {@code content-type: application/grpc*} goes to the gRPC service {@code isthmus.demo.v1.Demo}
 * ({@link DemoGrpcService}); every other request is answered with a JSON object: service,
 * cluster, zone, pod, version, port, path and {@code caller}, the {@code URI=} SPIFFE ID of the
 * {@code X-Forwarded-Client-Cert} header the sidecar adds (empty when there is none), and the
 * {@code X-Forwarded-For} / {@code X-Forwarded-Proto} it received ({@code xff}, {@code xfp}). In
 * TLS mode (an external service outside the mesh) it also reports the TLS version and the SNI the
 * client sent ({@code tls}, {@code sni}); TLS mode speaks HTTP/1.1 only (no ALPN).
 */
public final class DemoServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DemoServer.class);
    private static final Pattern XFCC_URI = Pattern.compile("URI=([^;,]+)");
    private static Vertx vertx;

    private final PodIdentity identity;
    private final AtomicLong served = new AtomicLong();
    private volatile Faults faults = Faults.NONE;
    private volatile HttpServer server;
    private volatile DemoGrpcService grpc;

    private DemoServer(PodIdentity identity) {
        this.identity = identity;
    }

    /** The event loop every demo server of this JVM shares (one thread: the app only formats answers). */
    static synchronized Vertx vertx() {
        if (vertx == null) {
            vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
        }
        return vertx;
    }

    /** Starts serving on {@code address}. */
    public static DemoServer start(PodIdentity identity, InetSocketAddress address) {
        return start(identity, address, null);
    }

    /** Starts serving on {@code address}, over TLS with the key and certificate of {@code tls} when not null. */
    public static DemoServer start(PodIdentity identity, InetSocketAddress address, KeyManagerFactory tls) {
        DemoServer d = new DemoServer(identity);
        // Headers up to the gateways' own default limit (60 KiB) reach the app, as they did with the JDK server.
        HttpServerOptions options = new HttpServerOptions().setHttp2ClearTextEnabled(true).setAcceptBacklog(128)
                .setMaxHeaderSize(64 * 1024)
                .setInitialSettings(new io.vertx.core.http.Http2Settings().setMaxHeaderListSize(64 * 1024));
        if (tls != null) {
            options.setSsl(true).setKeyCertOptions(KeyCertOptions.wrap(tls));
        }
        Vertx v = vertx();
        HttpServer s = v.createHttpServer(options);
        d.server = s;
        d.grpc = new DemoGrpcService(v, identity, () -> d.faults, d::port, d.served::incrementAndGet);
        GrpcIoServer g = GrpcIoServer.server(v);
        d.grpc.bind(g);
        s.requestHandler(req -> {
            String ct = req.getHeader("content-type");
            if (ct != null && ct.startsWith("application/grpc")) {
                g.handle(req);
            } else {
                d.handle(req);
            }
        });
        try {
            s.listen(address.getPort(), address.getHostString()).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new UncheckedIOException("cannot listen on " + address + ": " + e.getCause().getMessage(),
                    new java.io.IOException(e.getCause()));
        } catch (TimeoutException e) {
            throw new UncheckedIOException("cannot listen on " + address + ": timed out", new java.io.IOException(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding " + address, e);
        }
        LOG.info("demo app serving HTTP and gRPC [{}/{}] on {}:{}", identity.cluster(), identity.pod(),
                address.getHostString(), s.actualPort());
        return d;
    }

    /** Sets what goes wrong from now on. */
    public void faults(Faults f) {
        this.faults = f;
        LOG.info("faults set [{}/{}] {}", identity.cluster(), identity.pod(), f);
    }

    /** How many requests (HTTP requests and gRPC calls) were answered. */
    public long served() {
        return served.get();
    }

    /** The caller SPIFFE ID in an XFCC header, or empty. */
    static String callerOf(String xfcc) {
        if (xfcc == null) {
            return "";
        }
        Matcher m = XFCC_URI.matcher(xfcc);
        return m.find() ? m.group(1).replace("\"", "") : "";
    }

    private void handle(HttpServerRequest req) {
        req.body().onComplete(ar -> {
            Faults f = faults;
            if (f.delay().isZero()) {
                respond(req, f);
            } else {
                vertx().setTimer(Math.max(1, f.delay().toMillis()), id -> respond(req, f));
            }
        });
    }

    private void respond(HttpServerRequest req, Faults f) {
        if (req.response().closed()) {
            return;
        }
        int status = f.failWith() == 0 ? 200 : f.failWith();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("service", identity.service());
        body.put("namespace", identity.namespace());
        body.put("cluster", identity.cluster());
        body.put("zone", identity.zone());
        body.put("pod", identity.pod());
        body.put("version", identity.version());
        body.put("port", port());
        body.put("path", req.uri());
        body.put("caller", callerOf(req.getHeader("X-Forwarded-Client-Cert")));
        body.put("status", status);
        String xff = req.getHeader("X-Forwarded-For");
        String xfp = req.getHeader("X-Forwarded-Proto");
        body.put("xff", xff == null ? "" : xff);
        body.put("xfp", xfp == null ? "" : xfp);
        body.put("authority", req.authority() == null ? "" : req.authority().toString());
        Map<String, Object> echo = new java.util.TreeMap<>();
        req.headers().forEach((name, value) -> {
            String n = name.toLowerCase(java.util.Locale.ROOT);
            if (n.startsWith("x-echo-")) {
                echo.merge(n, value, (a, b) -> a + "," + b);
            }
        });
        body.put("echo", new Json.Raw(Json.object(echo)));
        if (req.isSSL()) {
            SSLSession session = req.connection().sslSession();
            body.put("tls", session == null ? "" : session.getProtocol());
            body.put("sni", sni(session, req.connection().indicatedServerName()));
        }
        req.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(Json.object(body) + "\n");
        served.incrementAndGet();
    }

    private static String sni(SSLSession session, String indicated) {
        if (indicated != null && !indicated.isEmpty()) {
            return indicated;
        }
        if (session instanceof ExtendedSSLSession e) {
            for (SNIServerName n : e.getRequestedServerNames()) {
                if (n instanceof SNIHostName h) {
                    return h.getAsciiName();
                }
            }
        }
        return "";
    }

    /** The port it listens on. */
    public int port() {
        return server.actualPort();
    }

    @Override
    public void close() {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("demo app close [{}/{}]: {}", identity.cluster(), identity.pod(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
