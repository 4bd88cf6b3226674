package io.isthmus.sidecar.capture;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The processes of {@link TproxyCaptureTest} that run inside its network namespaces: an HTTP server
 * that answers with its label, the request's Host and the peer address, and a one-request client
 * that prints the raw response (or {@code CLOSED}/{@code ERROR ...}).
 */
public final class NetnsPeer {

    private NetnsPeer() {
    }

    /**
     * {@code serve <host> <port> <label>} or {@code get <host>:<port>:<hostHeader>[:<path>]...} (each
     * response printed after a line {@code == <host>:<port>}).
     */
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "serve" -> serve(args[1], Integer.parseInt(args[2]), args[3]);
            case "get" -> {
                for (int i = 1; i < args.length; i++) {
                    String[] t = args[i].split(":");
                    System.out.println("== " + t[0] + ":" + t[1]);
                    get(t[0], Integer.parseInt(t[1]), t[2], t.length > 3 ? t[3] : "/");
                }
            }
            default -> throw new IllegalArgumentException("serve or get, got " + args[0]);
        }
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
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            String text = out.toString(StandardCharsets.UTF_8);
            System.out.println(text.isEmpty() ? "CLOSED" : text);
        } catch (Exception e) {
            System.out.println("ERROR " + e);
        }
    }
}
