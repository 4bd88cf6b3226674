package io.isthmus.trust.tls;

import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.bundle.ChainVerification;
import io.isthmus.trust.bundle.TrustBundle;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager that accepts a peer when its chain verifies against the current {@link TrustBundle} and its
 * SPIFFE ID passes a filter; no host name check (SPIFFE identities replace it).
 *
 * <p>The bundle is read from a supplier on every handshake, so a new root (an SDS {@code ROOTCA} update) takes
 * effect without rebuilding TLS contexts. Thread-safe.
 */
public final class SpiffeTrustManager extends X509ExtendedTrustManager {
    private static final X509Certificate[] NONE = new X509Certificate[0];

    private final Supplier<TrustBundle> bundle;
    private final Predicate<SpiffeId> allowed;
    private final Clock clock;

    private SpiffeTrustManager(Supplier<TrustBundle> bundle, Predicate<SpiffeId> allowed, Clock clock) {
        this.bundle = Objects.requireNonNull(bundle, "bundle");
        this.allowed = Objects.requireNonNull(allowed, "allowed");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Accepts any SPIFFE ID of the bundle's trust domain (and aliases). */
    public static SpiffeTrustManager of(TrustBundle bundle) {
        Objects.requireNonNull(bundle, "bundle");
        return new SpiffeTrustManager(() -> bundle, id -> true, Clock.systemUTC());
    }

    /** Accepts any SPIFFE ID of the bundle's trust domain, reading the bundle anew on each handshake. */
    public static SpiffeTrustManager of(Supplier<TrustBundle> bundle) {
        return new SpiffeTrustManager(bundle, id -> true, Clock.systemUTC());
    }

    /** Accepts only peers whose SPIFFE ID is in {@code peers} (Envoy's {@code match_typed_subject_alt_names}). */
    public static SpiffeTrustManager allowing(Supplier<TrustBundle> bundle, Set<SpiffeId> peers) {
        Set<SpiffeId> copy = Set.copyOf(peers);
        return new SpiffeTrustManager(bundle, copy::contains, Clock.systemUTC());
    }

    /** Accepts only peers whose SPIFFE ID passes {@code allowed}, verifying at the clock's time. */
    public static SpiffeTrustManager of(Supplier<TrustBundle> bundle, Predicate<SpiffeId> allowed, Clock clock) {
        return new SpiffeTrustManager(bundle, allowed, clock);
    }

    /** Verifies a chain the way a handshake does and returns the peer's SPIFFE ID or the refusal. */
    public ChainVerification verify(X509Certificate[] chain) {
        TrustBundle b = bundle.get();
        if (b == null) {
            return new ChainVerification(null, ChainVerification.Failure.UNKNOWN_ISSUER, "no trust bundle yet");
        }
        return b.verify(chain == null ? List.of() : Arrays.asList(chain), clock.instant());
    }

    private void check(X509Certificate[] chain, String side) throws CertificateException {
        ChainVerification v = verify(chain);
        if (!v.ok()) {
            throw new CertificateException(side + " certificate refused: " + v.failure() + ": " + v.message());
        }
        if (!allowed.test(v.peer())) {
            throw new CertificateException(side + " certificate refused: SPIFFE ID " + v.peer()
                    + " is not among the allowed peers");
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, "server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, "server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, "server");
    }

    /** Empty: no CA names are sent in a CertificateRequest, so clients offer their one certificate. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NONE;
    }
}
