package io.isthmus.e2e.driver;

import io.isthmus.e2e.demo.AnyServerCertificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How a driver reads a controller's ports once it has an address for them (the node address
 * locally, a port-forward's loopback end on kind): a GET on the monitoring port (15014) and the
 * certificate chain the xDS/CA port (15012) presents.
 */
public final class ControllerPorts {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3))
            .version(HttpClient.Version.HTTP_1_1).build();

    private ControllerPorts() {
    }

    /** The body of GET {@code http://host:port<pathAndQuery>}; throws naming {@code what} unless it answers 200. */
    public static String get(String host, int port, String pathAndQuery, String what) {
        URI uri = URI.create("http://" + host + ":" + port + pathAndQuery);
        HttpResponse<String> r;
        try {
            r = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(what + " " + pathAndQuery + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " " + pathAndQuery + ": interrupted", e);
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException(what + " " + pathAndQuery + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** The certificate chain a TLS server on {@code host:port} presents (ALPN h2), leaf first; not verified. */
    public static List<X509Certificate> servingChain(String host, int port, String what) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new AnyServerCertificate()}, null);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
                s.connect(new InetSocketAddress(host, port), 3000);
                s.setSoTimeout(3000);
                SSLParameters params = s.getSSLParameters();
                params.setApplicationProtocols(new String[] {"h2"});
                s.setSSLParameters(params);
                s.startHandshake();
                List<X509Certificate> chain = new ArrayList<>();
                for (Certificate c : s.getSession().getPeerCertificates()) {
                    chain.add((X509Certificate) c);
                }
                return chain;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": cannot read the serving chain on " + host + ":" + port + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(what + ": cannot read the serving chain on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }
}
