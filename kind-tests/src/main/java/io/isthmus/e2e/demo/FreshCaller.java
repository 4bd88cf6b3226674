package io.isthmus.e2e.demo;

import io.isthmus.trust.pem.Pem;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * A client outside the mesh that opens a new connection for every request (so every HTTPS
 * request is a new TLS handshake and sees the server certificate in force at that moment): HTTP/1.1
 * with {@code Connection: close}, SNI = the URL's host, the server verified against the given CA
 * certificates (and its name checked, HTTPS endpoint identification). The host resolves through
 * the process's own resolver ({@code /etc/hosts} of its namespace).
 */
public final class FreshCaller {
    private final SSLContext tls;
    private final SSLContext tlsWithCert;

    /** A caller trusting the CA certificates in {@code trustPem} (null: plain HTTP only). */
    public FreshCaller(Path trustPem) {
        this(trustPem, null, null);
    }

    /**
     * A caller trusting {@code trustPem} that can also present the client certificate
     * {@code clientCert}/{@code clientKey} (both null: none) when a call asks for it.
     */
    public FreshCaller(Path trustPem, Path clientCert, Path clientKey) {
        this.tls = trustPem == null ? null : context(Pem.readCertificates(trustPem), null, null);
        this.tlsWithCert = trustPem == null || clientCert == null ? null
                : context(Pem.readCertificates(trustPem), Pem.readCertificates(clientCert), Pem.readPrivateKey(clientKey));
    }

    private static SSLContext context(List<X509Certificate> roots, List<X509Certificate> chain, java.security.PrivateKey key) {
        try {
            javax.net.ssl.KeyManager[] kms = null;
            if (chain != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", key, new char[0], chain.toArray(X509Certificate[]::new));
                javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                        javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, new char[0]);
                kms = kmf.getKeyManagers();
            }
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            for (int i = 0; i < roots.size(); i++) {
                ks.setCertificateEntry("ca-" + i, roots.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(kms, tmf.getTrustManagers(), null);
            return c;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the client TLS context: " + e.getMessage(), e);
        }
    }

    /** One GET of {@code url} on a new connection, without a client certificate. */
    public Caller.Result get(String url, Duration timeout) {
        return get(url, timeout, false);
    }

    /** One GET of {@code url} on a new connection; {@code withCert}: present the client certificate. */
    public Caller.Result get(String url, Duration timeout, boolean withCert) {
        long start = System.nanoTime();
        try {
            URI u = URI.create(url);
            boolean https = "https".equalsIgnoreCase(u.getScheme());
            SSLContext ctx = withCert ? tlsWithCert : tls;
            if (https && ctx == null) {
                throw new IllegalArgumentException("no " + (withCert ? "client certificate or " : "") + "CA to verify " + url
                        + " (start the app with --trust-pem" + (withCert ? " and --client-cert/--client-key)" : ")"));
            }
            int port = u.getPort() > 0 ? u.getPort() : https ? 443 : 80;
            InetAddress addr = InetAddress.getByName(u.getHost());
            String peer = "";
            try (Socket raw = new Socket()) {
                raw.connect(new InetSocketAddress(addr, port), (int) Math.min(timeout.toMillis(), 2000));
                raw.setSoTimeout((int) timeout.toMillis());
                Socket s = raw;
                if (https) {
                    SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(raw, u.getHost(), port, true);
                    SSLParameters p = ssl.getSSLParameters();
                    p.setServerNames(List.of(new SNIHostName(u.getHost())));
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    p.setApplicationProtocols(new String[] {"http/1.1"});
                    ssl.setSSLParameters(p);
                    ssl.startHandshake();
                    Certificate[] chain = ssl.getSession().getPeerCertificates();
                    peer = fingerprint(chain[0]);
                    s = ssl;
                }
                String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
                if (u.getRawQuery() != null) {
                    path += "?" + u.getRawQuery();
                }
                String hostHeader = u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "");
                OutputStream out = s.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nUser-Agent: isthmus-demo\r\n"
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Response r = read(s.getInputStream());
                return new Caller.Result(r.status, r.body, (System.nanoTime() - start) / 1000, "", r.location, peer);
            }
        } catch (IOException | IllegalArgumentException e) {
            return new Caller.Result(0, "", (System.nanoTime() - start) / 1000, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** The SHA-256 fingerprint of a certificate, hex. */
    public static String fingerprint(Certificate c) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot hash a certificate: " + e.getMessage(), e);
        }
    }

    private record Response(int status, String location, String body) {
    }

    private static Response read(InputStream in) throws IOException {
        byte[] all = in.readAllBytes();
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new IOException("incomplete HTTP response (" + all.length + " bytes)");
        }
        String[] lines = text.substring(0, end).split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP response: " + lines[0]);
        }
        int status = Integer.parseInt(statusLine[1]);
        String location = "";
        boolean chunked = false;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            if (name.equals("location")) {
                location = value;
            } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }
        byte[] body = java.util.Arrays.copyOfRange(all, end + 4, all.length);
        return new Response(status, location, new String(chunked ? dechunk(body) : body, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < b.length) {
            int lineEnd = indexOfCrlf(b, i);
            if (lineEnd < 0) {
                throw new IOException("truncated chunked body");
            }
            String sizeText = new String(b, i, lineEnd - i, StandardCharsets.US_ASCII).split(";")[0].trim();
            int size = Integer.parseInt(sizeText, 16);
            i = lineEnd + 2;
            if (size == 0) {
                break;
            }
            if (i + size > b.length) {
                throw new IOException("truncated chunk");
            }
            out.write(b, i, size);
            i += size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOfCrlf(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
