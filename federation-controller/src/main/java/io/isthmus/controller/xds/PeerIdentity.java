package io.isthmus.controller.xds;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The identity a gRPC caller proved on the TLS connection: the SPIFFE URI SAN of its verified
 * client certificate, if it presented one. Captured by {@link #interceptor()} into the gRPC
 * {@link Context} of each call.
 *
 * @param spiffeId the SPIFFE ID, e.g. {@code spiffe://cluster.local/ns/default/sa/reviews}
 */
public record PeerIdentity(String spiffeId) {

    /** The context key under which the interceptor stores the caller's identity (absent: none). */
    public static final Context.Key<PeerIdentity> KEY = Context.key("isthmus-peer-identity");

    public PeerIdentity {
        java.util.Objects.requireNonNull(spiffeId, "spiffeId");
    }

    /** The identity of the current call, when the caller presented a certificate with a SPIFFE ID. */
    public static Optional<PeerIdentity> current() {
        return Optional.ofNullable(KEY.get());
    }

    /** An interceptor that reads the peer certificate of each call's TLS session. */
    public static ServerInterceptor interceptor() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                Optional<PeerIdentity> id = fromSession(session);
                if (id.isEmpty()) {
                    return next.startCall(call, headers);
                }
                return Contexts.interceptCall(Context.current().withValue(KEY, id.get()), call, headers, next);
            }
        };
    }

    /** The SPIFFE ID of the leaf certificate of a TLS session, if the peer presented one. */
    public static Optional<PeerIdentity> fromSession(SSLSession session) {
        if (session == null) {
            return Optional.empty();
        }
        try {
            java.security.cert.Certificate[] chain = session.getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                return Optional.empty();
            }
            return spiffeIdOf(leaf).map(PeerIdentity::new);
        } catch (SSLPeerUnverifiedException noCert) {
            return Optional.empty();
        }
    }

    /** The first {@code spiffe://} URI SAN of a certificate. */
    public static Optional<String> spiffeIdOf(X509Certificate cert) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans == null) {
                return Optional.empty();
            }
            for (List<?> san : sans) {
                if (Integer.valueOf(6).equals(san.get(0)) && san.get(1) instanceof String uri && uri.startsWith("spiffe://")) {
                    return Optional.of(uri);
                }
            }
            return Optional.empty();
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
    }
}
