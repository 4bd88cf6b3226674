package io.isthmus.controller.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.isthmus.controller.xds.ServerTls;
import io.isthmus.controller.xds.XdsServer;
import io.isthmus.mesh.ca.v1.IstioCertificateRequest;
import io.isthmus.mesh.ca.v1.IstioCertificateResponse;
import io.isthmus.mesh.ca.v1.IstioCertificateServiceGrpc;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.Csr;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.pem.Pem;
import io.isthmus.trust.testing.TestPki;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA over the controller's real TLS port, called by a grpc-java client. */
class CertificateServiceTest {
    private static final String TD = "cluster.local";
    private static final SpiffeId REVIEWS = SpiffeId.of(TD, "default", "reviews");

    @TempDir
    Path dir;
    private Vertx vertx;
    private XdsServer server;
    private TestPki pki;
    private Path tokens;
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final List<ManagedChannel> channels = new java.util.ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "east");
        CertificateAuthority ca = pki.authority("east");
        tokens = dir.resolve("tokens");
        Files.writeString(tokens, "# token identity\ntok-reviews default/reviews\nbroken-line\n");
        CertificateService service = new CertificateService(() -> ca, new BootstrapTokens(tokens, TD), metrics);
        CertifiedKey serving = ca.issueServer(SpiffeId.of(TD, "isthmus-system", "isthmus-controller"),
                List.of("isthmus-controller.isthmus-system.svc"), Duration.ofHours(1));
        vertx = Vertx.vertx();
        server = XdsServer.start(vertx, "127.0.0.1", 0, OptionalInt.empty(),
                new ServerTls(serving.chainPem(), serving.privateKeyPem(), Pem.encode(pki.rootCertificate())),
                List.of(service.definition()));
    }

    @AfterEach
    void stop() throws Exception {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        server.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aTokenHolderGetsACertificateForItsOwnIdentityWithTheFullChain() throws Exception {
        Csr.KeyAndCsr key = Csr.generate(REVIEWS);
        IstioCertificateResponse r = stub(null, "tok-reviews").createCertificate(request(key));
        assertThat(r.getCertChainList()).hasSize(3);
        CertifiedKey issued = key.complete(String.join("", r.getCertChainList()));
        assertThat(issued.spiffeId()).contains(REVIEWS);
        assertThat(pki.bundle().verify(issued.chain()).ok()).isTrue();
        assertThat(metrics.counter("citadel_server_success_cert_issue_count").count()).isEqualTo(1);
    }

    @Test
    void anotherIdentityIsRefusedAndSoIsAnUnknownOrMissingToken() {
        Csr.KeyAndCsr other = Csr.generate(SpiffeId.of(TD, "default", "ratings"));
        assertThatThrownBy(() -> stub(null, "tok-reviews").createCertificate(request(other)))
                .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("PERMISSION_DENIED");
        assertThatThrownBy(() -> stub(null, "nope").createCertificate(request(Csr.generate(REVIEWS))))
                .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("UNAUTHENTICATED");
        assertThatThrownBy(() -> stub(null, null).createCertificate(request(Csr.generate(REVIEWS))))
                .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("UNAUTHENTICATED");
    }

    @Test
    void aWorkloadRenewsWithItsClientCertificateAndNewTokensAreReadWithoutRestart() throws Exception {
        CertifiedKey current = pki.workload("east", "default", "reviews");
        IstioCertificateResponse renewed = stub(current, null).createCertificate(request(Csr.generate(REVIEWS)));
        assertThat(renewed.getCertChainList()).hasSize(3);

        Files.writeString(tokens, "tok-ratings default/ratings\n", StandardOpenOption.APPEND);
        Files.setLastModifiedTime(tokens, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 2000));
        SpiffeId ratings = SpiffeId.of(TD, "default", "ratings");
        assertThat(stub(null, "tok-ratings").createCertificate(request(Csr.generate(ratings))).getCertChainList()).hasSize(3);
    }

    private static IstioCertificateRequest request(Csr.KeyAndCsr key) {
        return IstioCertificateRequest.newBuilder().setCsr(key.pem()).setValidityDuration(3600).build();
    }

    private IstioCertificateServiceGrpc.IstioCertificateServiceBlockingStub stub(CertifiedKey clientCert, String token) throws Exception {
        var ssl = GrpcSslContexts.forClient().trustManager(
                new ByteArrayInputStream(Pem.encode(pki.rootCertificate()).getBytes(StandardCharsets.UTF_8)));
        if (clientCert != null) {
            ssl.keyManager(new ByteArrayInputStream(clientCert.chainPem().getBytes(StandardCharsets.UTF_8)),
                    new ByteArrayInputStream(clientCert.privateKeyPem().getBytes(StandardCharsets.UTF_8)));
        }
        SslContext ctx = ssl.build();
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.securePort())
                .overrideAuthority("isthmus-controller.isthmus-system.svc")
                .sslContext(ctx).build();
        channels.add(ch);
        var stub = IstioCertificateServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
        if (token != null) {
            Metadata h = new Metadata();
            h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
            stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
        }
        return stub;
    }
}
