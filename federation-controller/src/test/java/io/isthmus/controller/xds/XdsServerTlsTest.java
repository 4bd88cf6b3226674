package io.isthmus.controller.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.controller.translate.ProxyResources;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.pem.Pem;
import io.isthmus.trust.testing.TestPki;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS port's certificate is swapped in place: new connections get the new one. */
class XdsServerTlsTest {
    @TempDir
    Path dir;

    @Test
    void updatedServingCertificateIsUsedByNewConnections() throws Exception {
        TestPki a = TestPki.create(dir.resolve("a"), "east");
        TestPki b = TestPki.create(dir.resolve("b"), "east");
        Vertx vertx = Vertx.vertx();
        AdsService ads = new AdsService(v -> ProxyResources.EMPTY, XdsMetrics.noop(), Clock.systemUTC());
        XdsServer server = XdsServer.start(vertx, "127.0.0.1", 0, OptionalInt.empty(), tls(a), List.of(ads.bindService()));
        try {
            assertThat(handshakes(server.securePort(), a)).isTrue();
            long t0 = System.nanoTime();
            server.updateTls(tls(b));
            System.out.println("updateTls took " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
            assertThat(handshakes(server.securePort(), b)).isTrue();
            assertThat(handshakes(server.securePort(), a)).isFalse();
        } finally {
            server.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static ServerTls tls(TestPki pki) {
        CertificateAuthority ca = pki.authority("east");
        CertifiedKey k = ca.issueServer(SpiffeId.of("cluster.local", "isthmus-system", "isthmus-controller"),
                List.of("isthmus-controller.isthmus-system.svc"), Duration.ofHours(1));
        return new ServerTls(k.chainPem(), k.privateKeyPem(), Pem.encode(pki.rootCertificate()));
    }

    private static boolean handshakes(int port, TestPki trusting) throws Exception {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port)
                .overrideAuthority("isthmus-controller.isthmus-system.svc")
                .sslContext(GrpcSslContexts.forClient().trustManager(new ByteArrayInputStream(
                        Pem.encode(trusting.rootCertificate()).getBytes(StandardCharsets.UTF_8))).build())
                .build();
        try {
            var it = AggregatedDiscoveryServiceGrpc.newStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
            var done = new java.util.concurrent.CompletableFuture<Boolean>();
            var req = it.streamAggregatedResources(new io.grpc.stub.StreamObserver<>() {
                @Override
                public void onNext(io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse r) {
                    done.complete(true);
                }

                @Override
                public void onError(Throwable t) {
                    done.complete(false);
                }

                @Override
                public void onCompleted() {
                    done.complete(true);
                }
            });
            req.onNext(DiscoveryRequest.newBuilder().setNode(io.envoyproxy.envoy.config.core.v3.Node.newBuilder().setId("probe"))
                    .setTypeUrl(XdsType.CLUSTER.typeUrl()).build());
            return done.get(15, TimeUnit.SECONDS);
        } finally {
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
