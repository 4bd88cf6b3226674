package io.isthmus.trust.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.bundle.TrustBundle;
import io.isthmus.trust.testing.TestPki;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.TrustOptions;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real mutual TLS over loopback between workloads of two cluster intermediates under one root, with Vert.x on
 * the JDK engine and on the OpenSSL (BoringSSL) engine.
 */
class MutualTlsHandshakeTest {
    static final SpiffeId CLIENT = SpiffeId.of("cluster.local", "default", "sleep");
    static final SpiffeId SERVER = SpiffeId.of("cluster.local", "default", "reviews");
    @TempDir
    static Path dir;
    static TestPki pki;
    static Vertx vertx;

    @BeforeAll
    static void setUp() {
        pki = TestPki.create(dir);
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void tearDown() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static Stream<String> engines() {
        return OpenSSLEngineOptions.isAvailable() ? Stream.of("jdk", "openssl") : Stream.of("jdk");
    }

    @Test
    void openSslEngineIsAvailableHere() {
        assertThat(OpenSSLEngineOptions.isAvailable()).as("BoringSSL natives").isTrue();
    }

    static SSLEngineOptions engine(String name) {
        return name.equals("openssl") ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions();
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /**
     * A server that answers the first bytes a client sends with the SPIFFE ID it saw, then closes. It waits for
     * the client to speak so that it never closes the connection before the client has read the server's
     * certificate (a closed connection no longer has a TLS session to read it from).
     */
    static NetServer server(String engine, SwappableKeyManager km, TrustBundle bundle) throws Exception {
        NetServerOptions o = new NetServerOptions().setSsl(true).setClientAuth(ClientAuth.REQUIRED)
                .setSslEngineOptions(engine(engine))
                .setKeyCertOptions(KeyCertOptions.wrap(km))
                .setTrustOptions(TrustOptions.wrap(SpiffeTrustManager.of(bundle)));
        NetServer s = vertx.createNetServer(o);
        s.connectHandler(sock -> {
            String peer;
            try {
                peer = PeerIdentity.of(sock.peerCertificates()).map(SpiffeId::toString).orElse("none");
            } catch (Exception e) {
                peer = "unverified";
            }
            String answer = peer + "\n";
            sock.handler(request -> {
                sock.handler(null);
                sock.end(Buffer.buffer(answer));
            });
        });
        return await(s.listen(0, "127.0.0.1"));
    }

    record Result(String serverSaw, SpiffeId clientSaw, X509Certificate serverLeaf) {
    }

    static Result call(String engine, NetServer server, CertifiedKey clientKey, TrustBundle bundle,
            Set<SpiffeId> allowedServers) throws Exception {
        NetClientOptions o = new NetClientOptions().setSsl(true).setHostnameVerificationAlgorithm("")
                .setSslEngineOptions(engine(engine))
                .setKeyCertOptions(KeyCertOptions.wrap(new SwappableKeyManager(clientKey)))
                .setTrustOptions(TrustOptions.wrap(allowedServers == null ? SpiffeTrustManager.of(bundle)
                        : SpiffeTrustManager.allowing(() -> bundle, allowedServers)));
        NetClient client = vertx.createNetClient(o);
        try {
            // Everything below runs on the socket's event loop, as soon as the handshake is done: the server's
            // certificate is read while the TLS session is open, and the handlers are in place before the
            // request that lets the server answer and close.
            return await(client.connect(server.actualPort(), "127.0.0.1").compose(sock -> {
                List<Certificate> serverChain;
                try {
                    serverChain = sock.peerCertificates();
                } catch (SSLPeerUnverifiedException e) {
                    return Future.failedFuture(e);
                }
                if (serverChain == null || serverChain.isEmpty()) {
                    return Future.failedFuture(new SSLPeerUnverifiedException("connection closed before the server"
                            + " certificate was read"));
                }
                Promise<String> line = Promise.promise();
                Buffer acc = Buffer.buffer();
                sock.handler(acc::appendBuffer);
                sock.endHandler(v -> {
                    if (acc.length() == 0) {
                        line.tryFail(new SSLException("connection closed without an answer"));
                    } else {
                        line.tryComplete(acc.toString().trim());
                    }
                });
                sock.exceptionHandler(line::tryFail);
                sock.write(Buffer.buffer("who am I?\n"));
                SpiffeId serverId = PeerIdentity.of(serverChain).orElse(null);
                X509Certificate leaf = (X509Certificate) serverChain.get(0);
                return line.future().map(seen -> new Result(seen, serverId, leaf));
            }));
        } finally {
            await(client.close());
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @MethodSource("engines")
    void workloadsOfTwoClustersAuthenticateEachOther(String engine) throws Exception {
        CertifiedKey west = pki.workload("west", "default", "reviews");
        CertifiedKey east = pki.workload("east", "default", "sleep");
        NetServer server = server(engine, new SwappableKeyManager(west), pki.bundle());
        try {
            Result r = call(engine, server, east, pki.bundle(), Set.of(SERVER));
            assertThat(r.serverSaw()).isEqualTo(CLIENT.toString());
            assertThat(r.clientSaw()).isEqualTo(SERVER);
        } finally {
            await(server.close());
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @MethodSource("engines")
    void aForeignRootWorkloadIsRefusedOnBothSides(String engine) throws Exception {
        NetServer server = server(engine, new SwappableKeyManager(pki.workload("west", "default", "reviews")),
                pki.bundle());
        NetServer foreignServer = server(engine, new SwappableKeyManager(pki.foreignWorkload("default", "reviews")),
                pki.bundle());
        try {
            CertifiedKey foreignClient = pki.foreignWorkload("default", "sleep");
            assertThatThrownBy(() -> {
                Result r = call(engine, server, foreignClient, pki.bundle(), null);
                throw new AssertionError("foreign client was served: " + r);
            }).isNotInstanceOf(AssertionError.class);
            CertifiedKey east = pki.workload("east", "default", "sleep");
            assertThatThrownBy(() -> call(engine, foreignServer, east, pki.bundle(), null))
                    .isNotInstanceOf(AssertionError.class);
        } finally {
            await(server.close());
            await(foreignServer.close());
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @MethodSource("engines")
    void aServerWithAnotherIdentityThanExpectedIsRefused(String engine) throws Exception {
        NetServer server = server(engine, new SwappableKeyManager(pki.workload("west", "default", "ratings")),
                pki.bundle());
        try {
            assertThatThrownBy(() -> call(engine, server, pki.workload("east", "default", "sleep"), pki.bundle(),
                    Set.of(SERVER))).isNotInstanceOf(AssertionError.class);
        } finally {
            await(server.close());
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @MethodSource("engines")
    void aSwappedKeyIsPresentedOnTheNextHandshake(String engine) throws Exception {
        CertifiedKey first = pki.workload("west", "default", "reviews");
        SwappableKeyManager km = new SwappableKeyManager(first);
        NetServer server = server(engine, km, pki.bundle());
        try {
            CertifiedKey east = pki.workload("east", "default", "sleep");
            assertThat(call(engine, server, east, pki.bundle(), null).serverLeaf()).isEqualTo(first.certificate());
            CertifiedKey second = pki.workload("east", "default", "reviews");
            km.set(second);
            assertThat(call(engine, server, east, pki.bundle(), null).serverLeaf()).isEqualTo(second.certificate());
        } finally {
            await(server.close());
        }
    }
}
