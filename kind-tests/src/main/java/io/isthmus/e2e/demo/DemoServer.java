package io.isthmus.e2e.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The app side of the demo: an HTTP server on one loopback port (the pod's target port, behind
 * the sidecar's inbound listener) answering every request with a JSON object: service, cluster,
 * zone, pod, version, port, path and {@code caller}, the {@code URI=} SPIFFE ID of the
 * {@code X-Forwarded-Client-Cert} header the sidecar adds (empty when there is none), and the
 * {@code X-Forwarded-For} / {@code X-Forwarded-Proto} it received ({@code xff}, {@code xfp}). In
 * TLS mode (an external service outside the mesh) it also reports the TLS version and the SNI the
 * client sent ({@code tls}, {@code sni}).
 */
public final class DemoServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DemoServer.class);
    private static final Pattern XFCC_URI = Pattern.compile("URI=([^;,]+)");

    private final PodIdentity identity;
    private final HttpServer server;
    private final AtomicLong served = new AtomicLong();
    private volatile Faults faults = Faults.NONE;

    private DemoServer(PodIdentity identity, HttpServer server) {
        this.identity = identity;
        this.server = server;
    }

    /** Starts serving on {@code address}. */
    public static DemoServer start(PodIdentity identity, InetSocketAddress address) {
        return start(identity, address, null);
    }

    /** Starts serving on {@code address}, over TLS with {@code tls} when not null. */
    public static DemoServer start(PodIdentity identity, InetSocketAddress address, SSLContext tls) {
        try {
            HttpServer s;
            if (tls == null) {
                s = HttpServer.create(address, 128);
            } else {
                HttpsServer hs = HttpsServer.create(address, 128);
                hs.setHttpsConfigurator(new HttpsConfigurator(tls));
                s = hs;
            }
            DemoServer d = new DemoServer(identity, s);
            s.createContext("/", d::handle);
            s.setExecutor(Executors.newFixedThreadPool(8, r -> {
                Thread t = new Thread(r, "demo-" + address.getPort());
                t.setDaemon(false);
                return t;
            }));
            s.start();
            LOG.info("demo app serving [{}/{}] on {}", identity.cluster(), identity.pod(), address);
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
    }

    /** Sets what goes wrong from now on. */
    public void faults(Faults f) {
        this.faults = f;
        LOG.info("faults set [{}/{}] {}", identity.cluster(), identity.pod(), f);
    }

    /** How many requests were answered. */
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

    private void handle(HttpExchange ex) throws IOException {
        try (ex; InputStream in = ex.getRequestBody()) {
            in.readAllBytes();
            Faults f = faults;
            if (!f.delay().isZero()) {
                try {
                    Thread.sleep(f.delay().toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int status = f.failWith() == 0 ? 200 : f.failWith();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("service", identity.service());
            body.put("namespace", identity.namespace());
            body.put("cluster", identity.cluster());
            body.put("zone", identity.zone());
            body.put("pod", identity.pod());
            body.put("version", identity.version());
            body.put("port", server.getAddress().getPort());
            body.put("path", ex.getRequestURI().toString());
            body.put("caller", callerOf(ex.getRequestHeaders().getFirst("X-Forwarded-Client-Cert")));
            body.put("status", status);
            String xff = ex.getRequestHeaders().getFirst("X-Forwarded-For");
            String xfp = ex.getRequestHeaders().getFirst("X-Forwarded-Proto");
            body.put("xff", xff == null ? "" : xff);
            body.put("xfp", xfp == null ? "" : xfp);
            if (ex instanceof HttpsExchange https) {
                SSLSession session = https.getSSLSession();
                body.put("tls", session.getProtocol());
                body.put("sni", sni(session));
            }
            byte[] bytes = (Json.object(body) + "\n").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
            served.incrementAndGet();
        }
    }

    private static String sni(SSLSession session) {
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
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
