package io.isthmus.controller.ca;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.isthmus.controller.xds.PeerIdentity;
import io.isthmus.mesh.ca.v1.IstioCertificateRequest;
import io.isthmus.mesh.ca.v1.IstioCertificateResponse;
import io.isthmus.mesh.ca.v1.IstioCertificateServiceGrpc;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.ca.IssuanceRefusedException;
import io.isthmus.trust.pem.Pem;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CSR-signing gRPC service. A caller proves who it is with {@code authorization: Bearer <token>}
 * (checked by the {@link CallerAuthenticator}) or, for renewals, with a client certificate of the
 * mesh; it gets a certificate only for that identity. The response chain is leaf, intermediate(s),
 * root.
 */
public final class CertificateService extends IstioCertificateServiceGrpc.IstioCertificateServiceImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateService.class);
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<String> TOKEN = Context.key("isthmus-bearer-token");

    private final Supplier<CertificateAuthority> authority;
    private final CallerAuthenticator authenticator;
    private final Counter signed;
    private final Counter refused;
    private final Counter unauthenticated;

    /**
     * Creates the service.
     *
     * @param authority the current signing CA (read per request, so a reloaded CA takes over at once)
     * @param authenticator checks bearer tokens
     * @param metrics where the CSR counters go
     */
    public CertificateService(Supplier<CertificateAuthority> authority, CallerAuthenticator authenticator, MeterRegistry metrics) {
        this.authority = Objects.requireNonNull(authority, "authority");
        this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
        this.signed = Counter.builder("citadel_server_success_cert_issue_count").description("Workload certificates signed").register(metrics);
        this.refused = Counter.builder("citadel_server_csr_sign_error_count").description("CSRs refused").register(metrics);
        this.unauthenticated = Counter.builder("citadel_server_authentication_failure_count")
                .description("CSR callers that could not be authenticated").register(metrics);
    }

    /** This service with the interceptor that captures the caller's bearer token. */
    public ServerServiceDefinition definition() {
        return ServerInterceptors.intercept(bindService(), new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                String auth = headers.get(AUTHORIZATION);
                if (auth == null) {
                    return next.startCall(call, headers);
                }
                String token = auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).strip() : "";
                return Contexts.interceptCall(Context.current().withValue(TOKEN, token), call, headers, next);
            }
        });
    }

    @Override
    public void createCertificate(IstioCertificateRequest request, StreamObserver<IstioCertificateResponse> response) {
        Optional<SpiffeId> caller = caller();
        if (caller.isEmpty()) {
            unauthenticated.increment();
            LOG.warn("CSR refused: caller not authenticated [token={} cert={}]", TOKEN.get() != null ? "unknown" : "none",
                    PeerIdentity.current().map(PeerIdentity::spiffeId).orElse("none"));
            response.onError(Status.UNAUTHENTICATED.withDescription("no valid bearer token or client certificate").asRuntimeException());
            return;
        }
        try {
            Duration ttl = request.getValidityDuration() > 0 ? Duration.ofSeconds(request.getValidityDuration()) : null;
            List<X509Certificate> chain = authority.get().issueWorkload(request.getCsr(), caller.get(), ttl);
            IstioCertificateResponse.Builder out = IstioCertificateResponse.newBuilder();
            for (X509Certificate c : chain) {
                out.addCertChain(Pem.encode(c));
            }
            signed.increment();
            LOG.info("certificate issued [{}] [notAfter={}]", caller.get(), chain.get(0).getNotAfter().toInstant());
            response.onNext(out.build());
            response.onCompleted();
        } catch (IssuanceRefusedException e) {
            refused.increment();
            Status status = e.refusal() == IssuanceRefusedException.Refusal.IDENTITY_MISMATCH
                    || e.refusal() == IssuanceRefusedException.Refusal.WRONG_TRUST_DOMAIN
                    ? Status.PERMISSION_DENIED : e.refusal() == IssuanceRefusedException.Refusal.CA_NOT_VALID
                    ? Status.UNAVAILABLE : Status.INVALID_ARGUMENT;
            LOG.warn("CSR refused [{}] [{}]: {}", caller.get(), e.refusal(), e.getMessage());
            response.onError(status.withDescription(e.getMessage()).asRuntimeException());
        } catch (RuntimeException e) {
            refused.increment();
            LOG.warn("CSR failed [{}]: {}", caller.get(), e.toString());
            response.onError(Status.INTERNAL.withDescription("signing failed: " + e.getMessage()).asRuntimeException());
        }
    }

    private Optional<SpiffeId> caller() {
        String token = TOKEN.get();
        if (token != null && !token.isEmpty()) {
            return authenticator.authenticate(token);
        }
        return PeerIdentity.current().flatMap(p -> {
            try {
                return Optional.of(SpiffeId.parse(p.spiffeId()));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        });
    }
}
