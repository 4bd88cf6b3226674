package io.isthmus.gateway;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** A blocking TLS client that sends a mesh SNI (with its '_', which {@code SNIHostName} refuses). */
public final class MeshTlsClient {

    private MeshTlsClient() {
    }

    /** Connects and completes the handshake with {@code sni} as server name (none when null). */
    public static SSLSocket connect(SSLContext ctx, InetSocketAddress to, String sni) throws Exception {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        s.connect(to, 5000);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIServerName(0, sni.getBytes(StandardCharsets.US_ASCII)) { }));
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    /** Sends a line and reads one back. */
    public static String exchange(SSLSocket s, String line) throws Exception {
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }
}
