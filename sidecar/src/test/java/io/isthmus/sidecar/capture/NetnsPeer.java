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
 * that prints the raw response (or {@code CLOSED}/{@code ERROR ...}); and for DNS capture a tiny
 * UDP DNS server (A records of the names it is given, NXDOMAIN for any other) and a client that
 * prints who answered its query and what.
 */
public final class NetnsPeer {

    private NetnsPeer() {
    }

    /**
     * {@code serve <host> <port> <label>}, {@code get <host>:<port>:<hostHeader>[:<path>]...} (an IPv6
     * host in brackets; each response printed after a line {@code == <host>:<port>}), or {@code mtls-get <certDir>
     * <host>:<port>:<hostHeader>} (the same over mTLS with the workload certificate of a directory
     * {@code cert-chain.pem key.pem root-cert.pem}), {@code dns-serve <host> <port> <name>=<ipv4>...}
     * or {@code dns-ask <host>:<port>:<name>...} (an IPv6 host in brackets; each answer printed after a line {@code == <host>:<port>:<name>}
     * as {@code from <address> rcode <n> answer <ipv4 or ->}, or {@code ERROR ...}).
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
            case "dns-serve" -> dnsServe(args[1], Integer.parseInt(args[2]), java.util.Arrays.copyOfRange(args, 3, args.length));
            case "dns-ask" -> {
                for (int i = 1; i < args.length; i++) {
                    int hostEnd = args[i].startsWith("[") ? args[i].indexOf(']') + 1 : args[i].indexOf(':');
                    String host = args[i].substring(0, hostEnd).replace("[", "").replace("]", "");
                    String[] t = args[i].substring(hostEnd + 1).split(":", 2);
                    System.out.println("== " + args[i]);
                    dnsAsk(host, Integer.parseInt(t[0]), t[1]);
                }
            }
            default -> throw new IllegalArgumentException("serve, get, mtls-get, dns-serve or dns-ask, got " + args[0]);
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

    /** Answers A queries for the names given ({@code name=ipv4}) until killed, NXDOMAIN for others; prints each question. */
    private static void dnsServe(String host, int port, String[] records) throws Exception {
        java.util.Map<String, byte[]> names = new java.util.HashMap<>();
        for (String r : records) {
            String[] kv = r.split("=", 2);
            names.put(kv[0], java.net.InetAddress.getByName(kv[1]).getAddress());
        }
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(new InetSocketAddress(host, port))) {
            System.out.println("serving dns on " + host + ":" + port);
            byte[] buf = new byte[512];
            while (true) {
                java.net.DatagramPacket q = new java.net.DatagramPacket(buf, buf.length);
                s.receive(q);
                java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(q.getData(), 0, q.getLength());
                int id = in.getShort(0) & 0xffff;
                in.position(12);
                String name = readName(in);
                int type = in.getShort() & 0xffff;
                in.getShort();
                int questionEnd = in.position();
                byte[] ip = type == 1 ? names.get(name) : null;
                boolean known = names.containsKey(name);
                System.out.println("dns question " + name + " type " + type + " from " + q.getSocketAddress());
                java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(512);
                out.putShort((short) id).putShort((short) (known ? 0x8180 : 0x8183)).putShort((short) 1)
                        .putShort((short) (ip == null ? 0 : 1)).putShort((short) 0).putShort((short) 0);
                out.put(q.getData(), 12, questionEnd - 12);
                if (ip != null) {
                    out.putShort((short) 0xc00c).putShort((short) 1).putShort((short) 1).putInt(30).putShort((short) 4).put(ip);
                }
                s.send(new java.net.DatagramPacket(out.array(), out.position(), q.getSocketAddress()));
            }
        }
    }

    /** Asks {@code host:port} for the A record of {@code name} from an unconnected socket and prints who answered. */
    private static void dnsAsk(String host, int port, String name) {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
            s.setSoTimeout(5000);
            java.nio.ByteBuffer q = java.nio.ByteBuffer.allocate(512);
            q.putShort((short) 0x4242).putShort((short) 0x0100).putShort((short) 1).putShort((short) 0).putShort((short) 0).putShort((short) 0);
            for (String label : name.split("\\.")) {
                byte[] b = label.getBytes(StandardCharsets.US_ASCII);
                q.put((byte) b.length).put(b);
            }
            q.put((byte) 0).putShort((short) 1).putShort((short) 1);
            s.send(new java.net.DatagramPacket(q.array(), q.position(), new InetSocketAddress(host, port)));
            byte[] buf = new byte[512];
            java.net.DatagramPacket r = new java.net.DatagramPacket(buf, buf.length);
            s.receive(r);
            java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(r.getData(), 0, r.getLength());
            int rcode = in.getShort(2) & 0xf;
            int answers = in.getShort(6) & 0xffff;
            in.position(12);
            readName(in);
            in.position(in.position() + 4);
            String answer = "-";
            for (int i = 0; i < answers && answer.equals("-"); i++) {
                readName(in);
                int type = in.getShort() & 0xffff;
                in.position(in.position() + 6);
                int length = in.getShort() & 0xffff;
                byte[] data = new byte[length];
                in.get(data);
                if (type == 1 && length == 4) {
                    answer = java.net.InetAddress.getByAddress(data).getHostAddress();
                }
            }
            System.out.println("from " + r.getSocketAddress() + " rcode " + rcode + " answer " + answer + " id " + (in.getShort(0) & 0xffff));
        } catch (Exception e) {
            System.out.println("ERROR " + e);
        }
    }

    /** Reads a (possibly compressed) DNS name at the buffer's position, leaving it after the name. */
    private static String readName(java.nio.ByteBuffer in) {
        StringBuilder name = new StringBuilder();
        int len = in.get() & 0xff;
        while (len != 0) {
            if ((len & 0xc0) == 0xc0) {
                in.get(); // a pointer ends the name; the tests only need the name of the question
                return name.toString();
            }
            byte[] b = new byte[len];
            in.get(b);
            name.append(name.length() == 0 ? "" : ".").append(new String(b, StandardCharsets.US_ASCII));
            len = in.get() & 0xff;
        }
        return name.toString();
    }
}
