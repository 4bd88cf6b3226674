package io.isthmus.sidecar.cert;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.isthmus.mesh.ca.v1.IstioCertificateRequest;
import io.isthmus.mesh.ca.v1.IstioCertificateResponse;
import io.isthmus.mesh.ca.v1.IstioCertificateServiceGrpc;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.testing.TestPki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny in-test controller CA: {@code IstioCertificateService} over TLS on loopback with the
 * controller's serving certificate from a {@link TestPki}, tokens mapped to identities, signing
 * with the cluster's intermediate. Extra gRPC services (an ADS server) may be hosted beside it.
 */
public final class TestCa implements AutoCloseable {
    static final Context.Key<String> TOKEN = Context.key("token");

    public final TestPki pki;
    public final Map<String, SpiffeId> tokens = new ConcurrentHashMap<>();
    public final AtomicInteger signed = new AtomicInteger();
    public final AtomicInteger refused = new AtomicInteger();
    public final CertifiedKey serving;
    private final Server server;

    /** Starts on a free loopback port; {@code extra} services are hosted too (e.g. ADS). */
    public TestCa(TestPki pki, String cluster, Duration ttl, io.grpc.ServerServiceDefinition... extra) throws IOException {
        this.pki = pki;
        this.serving = pki.authority(cluster).issueServer(
                SpiffeId.of(TestPki.TRUST_DOMAIN, "isthmus-system", "isthmus-controller"),
                List.of("isthmus-controller.isthmus-system.svc"), Duration.ofHours(1));
        var creds = TlsServerCredentials.newBuilder()
                .keyManager(stream(serving.chainPem()), stream(serving.privateKeyPem()))
                .trustManager(stream(io.isthmus.trust.pem.Pem.encodeCertificates(List.of(pki.rootCertificate()))))
                .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
                .build();
        var ca = new IstioCertificateServiceGrpc.IstioCertificateServiceImplBase() {
            @Override
            public void createCertificate(IstioCertificateRequest request,
                                          StreamObserver<IstioCertificateResponse> out) {
                SpiffeId id = tokens.get(String.valueOf(TOKEN.get()));
                if (id == null) {
                    refused.incrementAndGet();
                    out.onError(Status.UNAUTHENTICATED.withDescription("unknown token").asException());
                    return;
                }
                try {
                    List<X509Certificate> chain = pki.authority(cluster).issueWorkload(request.getCsr(), id,
                            Duration.ofSeconds(request.getValidityDuration()).compareTo(ttl) < 0
                                    ? Duration.ofSeconds(request.getValidityDuration()) : ttl);
                    signed.incrementAndGet();
                    var b = IstioCertificateResponse.newBuilder();
                    chain.forEach(c -> b.addCertChain(io.isthmus.trust.pem.Pem.encodeCertificates(List.of(c))));
                    out.onNext(b.build());
                    out.onCompleted();
                } catch (RuntimeException e) {
                    out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException());
                }
            }
        };
        ServerInterceptor auth = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                             ServerCallHandler<Q, R> next) {
                String h = headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER));
                String token = h != null && h.startsWith("Bearer ") ? h.substring(7) : "";
                return Contexts.interceptCall(Context.current().withValue(TOKEN, token), call, headers, next);
            }
        };
        var b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), creds)
                .addService(ServerInterceptors.intercept(ca, auth));
        for (var s : extra) {
            b.addService(s);
        }
        this.server = b.build().start();
    }

    private static ByteArrayInputStream stream(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The port it listens on. */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }
}
