package io.isthmus.sidecar.cert;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.isthmus.mesh.ca.v1.IstioCertificateRequest;
import io.isthmus.mesh.ca.v1.IstioCertificateResponse;
import io.isthmus.mesh.ca.v1.IstioCertificateServiceGrpc;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.pem.Pem;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The client of the controller's {@code IstioCertificateService}: sends a CSR with
 * {@code authorization: Bearer <token>} and returns the signed chain (leaf first). Thread-safe.
 */
public final class CaClient implements AutoCloseable {
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final ManagedChannel channel;
    private final Supplier<String> token;
    private final Duration timeout;

    /**
     * Creates a client.
     *
     * @param channel TLS channel to the CA (owned by the client from now on)
     * @param token   the bearer token, asked for on every request (so a rotated token file is picked up);
     *                blank = no header
     * @param timeout deadline of one request
     */
    public CaClient(ManagedChannel channel, Supplier<String> token, Duration timeout) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.token = Objects.requireNonNull(token, "token");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** Asks the CA to sign {@code csrPem} for {@code ttl}; completes with the chain, leaf first. */
    public CompletionStage<List<X509Certificate>> sign(String csrPem, Duration ttl) {
        CompletableFuture<List<X509Certificate>> out = new CompletableFuture<>();
        String t;
        try {
            t = token.get();
        } catch (RuntimeException e) {
            out.completeExceptionally(e);
            return out;
        }
        Metadata headers = new Metadata();
        if (t != null && !t.isBlank()) {
            headers.put(AUTHORIZATION, "Bearer " + t.strip());
        }
        var stub = IstioCertificateServiceGrpc.newFutureStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
        IstioCertificateRequest req = IstioCertificateRequest.newBuilder().setCsr(csrPem)
                .setValidityDuration(ttl.toSeconds()).build();
        Futures.addCallback(stub.createCertificate(req), new FutureCallback<>() {
            @Override
            public void onSuccess(IstioCertificateResponse r) {
                try {
                    out.complete(chain(r));
                } catch (RuntimeException e) {
                    out.completeExceptionally(e);
                }
            }

            @Override
            public void onFailure(Throwable e) {
                out.completeExceptionally(new CertificateException("CA " + channel.authority()
                        + " refused or failed the CSR: " + e.getMessage(), e));
            }
        }, MoreExecutors.directExecutor());
        return out;
    }

    private static List<X509Certificate> chain(IstioCertificateResponse r) {
        List<X509Certificate> chain = new ArrayList<>();
        for (String pem : r.getCertChainList()) {
            try {
                chain.addAll(Pem.readCertificates(pem, "CA response cert_chain"));
            } catch (TrustException e) {
                throw new CertificateException(e.getMessage(), e);
            }
        }
        if (chain.isEmpty()) {
            throw new CertificateException("CA response cert_chain: empty");
        }
        return chain;
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
