package io.isthmus.e2e.demo;

import io.isthmus.e2e.local.EdgePki;
import io.isthmus.trust.pem.Pem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The control port's TLS probe against a real server that requires client certificates of one CA. */
class TlsProbeTest {
    private final EdgePki.Authority mesh = EdgePki.Authority.create("mesh root");
    private SSLServerSocket server;
    private Thread acceptor;

    @BeforeEach
    void start() throws Exception {
        EdgePki.Issued serving = mesh.issue("localhost");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", Pem.readPrivateKey(serving.keyPem()), new char[0], new Certificate[] {serving.cert()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("mesh", mesh.cert());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 8, InetAddress.getLoopbackAddress());
        server.setNeedClientAuth(true);
        acceptor = new Thread(this::serve, "tls-probe-test-server");
        acceptor.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        acceptor.join(5000);
    }

    private void serve() {
        while (!server.isClosed()) {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                InputStream in = s.getInputStream();
                int matched = 0;
                byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                int c;
                while (matched < end.length && (c = in.read()) >= 0) {
                    matched = c == end[matched] ? matched + 1 : (c == end[0] ? 1 : 0);
                }
                s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            } catch (IOException e) {
                // a refused handshake, or the server closing: next connection
            }
        }
    }

    @Test
    void aCertificateOfTheServersCaIsAnswered() {
        EdgePki.Issued client = mesh.issue("client.local");
        String json = TlsProbe.probe("127.0.0.1", server.getLocalPort(), "localhost", client.certPem(), client.keyPem(),
                Duration.ofSeconds(5));
        assertThat(Json.field(json, "connected")).as(json).isEqualTo("true");
        assertThat(Json.field(json, "answered")).as(json).isEqualTo("true");
        assertThat(Json.field(json, "statusLine")).isEqualTo("HTTP/1.1 200 OK");
    }

    @Test
    void aCertificateFromAForeignRootIsRefusedAndTheFailureSaysWhy() {
        EdgePki.Issued foreign = EdgePki.Authority.create("foreign root").issue("client.local");
        String json = TlsProbe.probe("127.0.0.1", server.getLocalPort(), "localhost", foreign.certPem(), foreign.keyPem(),
                Duration.ofSeconds(5));
        assertThat(Json.field(json, "connected")).as(json).isEqualTo("true");
        assertThat(Json.field(json, "answered")).as(json).isEqualTo("false");
        assertThat(Json.field(json, "error")).as(json).isNotEmpty();
    }

    @Test
    void aNameTheJdkCannotSendIsNamedAsTheFailure() {
        EdgePki.Issued client = mesh.issue("client.local");
        String json = TlsProbe.probe("127.0.0.1", server.getLocalPort(), "outbound_.9080_._.reviews.default.svc.cluster.local",
                client.certPem(), client.keyPem(), Duration.ofSeconds(5));
        assertThat(Json.field(json, "answered")).isEqualTo("false");
        assertThat(Json.field(json, "error")).contains("non-LDH");
    }

    @Test
    void aKeyThatIsNotPemIsAnErrorNotACrash() {
        String json = TlsProbe.probe("127.0.0.1", server.getLocalPort(), "", mesh.certPem(), "not a key", Duration.ofSeconds(5));
        assertThat(Json.field(json, "answered")).isEqualTo("false");
        assertThat(Json.field(json, "error")).contains("keyPem");
    }
}
