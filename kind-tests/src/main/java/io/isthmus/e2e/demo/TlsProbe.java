package io.isthmus.e2e.demo;

import io.isthmus.trust.pem.Pem;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TLS client handshake from inside the pod with a certificate the caller supplies (PEM leaf and
 * PKCS#8 EC or RSA key), then one {@code GET /}: whether a server accepts a given client
 * certificate, e.g. one from a foreign root presented to a sidecar's inbound port. The server's
 * certificate is not checked (what is probed is the server's decision about the client).
 */
final class TlsProbe {
    private TlsProbe() {
    }

    /**
     * Connects to {@code host:port} with SNI {@code sni}, presents {@code certPem}/{@code keyPem}, sends
     * {@code GET /} and reads the status line. JSON {@code connected} (TCP connected, so a failure after
     * it is the server's answer), {@code answered} (a status line came back),
     * {@code statusLine}, {@code error} (the handshake or read failure, e.g. the server's alert).
     */
    static String probe(String host, int port, String sni, String certPem, String keyPem, Duration timeout) {
        Map<String, Object> m = new LinkedHashMap<>();
        String statusLine = "";
        String error = "";
        boolean connected = false;
        try (SSLSocket s = (SSLSocket) context(certPem, keyPem).getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            connected = true;
            s.setSoTimeout((int) timeout.toMillis());
            SSLParameters p = s.getSSLParameters();
            if (!sni.isBlank()) {
                // The JDK refuses names with '_' (e.g. Istio's outbound_.P_._.host SNI): say so, don't guess.
                p.setServerNames(List.of(new SNIHostName(sni)));
            }
            p.setApplicationProtocols(new String[] {"http/1.1"});
            s.setSSLParameters(p);
            s.startHandshake();
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            statusLine = firstLine(s.getInputStream());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            error = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        m.put("connected", connected);
        m.put("answered", !statusLine.isEmpty());
        m.put("statusLine", statusLine);
        m.put("error", error);
        return Json.object(m);
    }

    private static String firstLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n' && b.length() < 512) {
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    private static SSLContext context(String certPem, String keyPem) throws GeneralSecurityException, IOException {
        List<X509Certificate> chain = Pem.readCertificates(certPem, "certPem");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("certPem holds no certificate");
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("probe", Pem.readPrivateKey(keyPem, "keyPem"), new char[0], chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), new TrustManager[] {new AnyServerCertificate()}, null);
        return ctx;
    }
}
