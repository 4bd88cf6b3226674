package io.isthmus.sidecar.capture;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The processes of the capture tests ({@link CaptureNamespaces}) that run inside their network namespaces: an HTTP server
 * that answers with its label, the request's Host and the peer address, and a one-request client
 * that prints the raw response (or {@code CLOSED}/{@code ERROR ...}).
 */
public final class NetnsPeer {

    private NetnsPeer() {
    }

    /**
     * {@code serve <host> <port> <label>}, {@code get <host>:<port>:<hostHeader>[:<path>]...} (an IPv6
     * host in brackets; each response printed after a line {@code == <host>:<port>}), or {@code mtls-get <certDir>
     * <host>:<port>:<hostHeader>} (the same over mTLS with the workload certificate of a directory
     * {@code cert-chain.pem key.pem root-cert.pem}).
     */
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "serve" -> serve(args[1], Integer.parseInt(args[2]), args[3]);
            case "get" -> {
                for (int i = 1; i < args.length; i++) {
                    String[] t = target(args[i]);
                    System.out.println("== " + t[4]);
                    get(t[0], Integer.parseInt(t[1]), t[2], t[3]);
                }
            }
            case "mtls-get" -> {
                String[] t = target(args[2]);
                System.out.println("== " + t[4]);
                mtlsGet(java.nio.file.Path.of(args[1]), t[0], Integer.parseInt(t[1]), t[2]);
            }
            default -> throw new IllegalArgumentException("serve, get or mtls-get, got " + args[0]);
        }
    }

    /**
     * Splits {@code <host>:<port>:<hostHeader>[:<path>]}, an IPv6 host in brackets, into host, port,
     * Host header, path and the {@code <host>:<port>} key as written.
     */
    private static String[] target(String arg) {
        String host;
        String rest;
        if (arg.startsWith("[")) {
            host = arg.substring(1, arg.indexOf(']'));
            rest = arg.substring(arg.indexOf(']') + 2);
        } else {
            host = arg.substring(0, arg.indexOf(':'));
            rest = arg.substring(arg.indexOf(':') + 1);
        }
        String[] t = rest.split(":", 3);
        String key = arg.substring(0, arg.length() - rest.length()) + t[0];
        return new String[] {host, t[0], t[1], t.length > 2 ? t[2] : "/", key};
    }

    private static void serve(String host, int port, String label) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 50);
        server.createContext("/", ex -> {
            byte[] body = (label + " host=" + ex.getRequestHeaders().getFirst("Host") + " peer="
                    + ex.getRemoteAddress().getAddress().getHostAddress()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
        System.out.println("serving " + label + " on " + host + ":" + port);
    }

    private static void get(String host, int port, String hostHeader, String path) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            exchange(s, hostHeader, path);
        } catch (Exception e) {
            System.out.println("ERROR " + e);
        }
    }

    private static void mtlsGet(java.nio.file.Path certs, String host, int port, String hostHeader) {
        try {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = "x".toCharArray();
            ks.setKeyEntry("me", io.isthmus.trust.pem.Pem.readPrivateKey(certs.resolve("key.pem")), pw,
                    io.isthmus.trust.pem.Pem.readCertificates(certs.resolve("cert-chain.pem")).toArray(java.security.cert.X509Certificate[]::new));
            java.security.KeyStore ts = java.security.KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            int i = 0;
            for (var c : io.isthmus.trust.pem.Pem.readCertificates(certs.resolve("root-cert.pem"))) {
                ts.setCertificateEntry("root" + i++, c);
            }
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            try (Socket raw = new Socket()) {
                raw.connect(new InetSocketAddress(host, port), 5000);
                try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, true)) {
                    s.startHandshake();
                    exchange(s, hostHeader, "/");
                }
            }
        } catch (Exception e) {
            System.out.println("ERROR " + e);
        }
    }

    private static void exchange(Socket s, String hostHeader, String path) throws java.io.IOException {
        s.setSoTimeout(10_000);
        s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        String text = out.toString(StandardCharsets.UTF_8);
        System.out.println(text.isEmpty() ? "CLOSED" : text);
    }
}
