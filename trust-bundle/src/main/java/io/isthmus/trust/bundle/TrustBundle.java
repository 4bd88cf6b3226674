package io.isthmus.trust.bundle;

import io.isthmus.trust.Certificates;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.bundle.ChainVerification.Failure;
import io.isthmus.trust.pem.Pem;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The roots a mesh trusts for one trust domain: one or more root certificates (several while a root is being
 * rotated) and optional trust-domain aliases whose SPIFFE IDs are accepted as well.
 *
 * <p>Immutable; {@link #withRoot}/{@link #withoutRoot}/{@link #withAliases} return new bundles.
 */
public final class TrustBundle {
    private final String trustDomain;
    private final List<X509Certificate> roots;
    private final Set<String> aliases;

    private TrustBundle(String trustDomain, Collection<X509Certificate> roots, Set<String> aliases) {
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
        new SpiffeId(trustDomain, "");
        for (String a : aliases) {
            new SpiffeId(a, "");
        }
        List<X509Certificate> unique = new ArrayList<>(new LinkedHashSet<>(roots));
        if (unique.isEmpty()) {
            throw new TrustException("a trust bundle for '" + trustDomain + "' needs at least one root certificate");
        }
        for (X509Certificate r : unique) {
            if (!Certificates.isCa(r)) {
                throw new TrustException("bundle root " + Certificates.subject(r) + " is not a CA certificate");
            }
        }
        this.roots = List.copyOf(unique);
        this.aliases = Set.copyOf(aliases);
    }

    /** A bundle of {@code roots} for {@code trustDomain}. */
    public static TrustBundle of(String trustDomain, Collection<X509Certificate> roots) {
        return new TrustBundle(trustDomain, roots, Set.of());
    }

    /** A bundle from a PEM text of one or more root certificates. */
    public static TrustBundle fromPem(String trustDomain, String pem) {
        return of(trustDomain, Pem.readCertificates(pem));
    }

    /** A bundle from a PEM file of one or more root certificates (e.g. {@code root-cert.pem}). */
    public static TrustBundle read(String trustDomain, Path file) {
        return of(trustDomain, Pem.readCertificates(file));
    }

    /** The trust domain whose peers this bundle accepts. */
    public String trustDomain() {
        return trustDomain;
    }

    /** The root certificates, in the order given. */
    public List<X509Certificate> roots() {
        return roots;
    }

    /** Other trust domains accepted as if they were this one. */
    public Set<String> aliases() {
        return aliases;
    }

    /** This bundle with one more root (a no-op when it is already present). */
    public TrustBundle withRoot(X509Certificate root) {
        List<X509Certificate> r = new ArrayList<>(roots);
        r.add(root);
        return new TrustBundle(trustDomain, r, aliases);
    }

    /** This bundle without {@code root}; refused when it is the last root. */
    public TrustBundle withoutRoot(X509Certificate root) {
        List<X509Certificate> r = new ArrayList<>(roots);
        r.remove(root);
        return new TrustBundle(trustDomain, r, aliases);
    }

    /** This bundle accepting also the given trust domains. */
    public TrustBundle withAliases(Set<String> trustDomainAliases) {
        return new TrustBundle(trustDomain, roots, trustDomainAliases);
    }

    /** True when IDs of {@code td} are accepted: this bundle's trust domain or one of its aliases. */
    public boolean accepts(String td) {
        return trustDomain.equals(td) || aliases.contains(td);
    }

    /** The roots as concatenated PEM (what {@code root-cert.pem} and the SDS {@code ROOTCA} secret hold). */
    public String toPem() {
        return Pem.encodeCertificates(roots);
    }

    /** Verifies a peer chain now; see {@link #verify(List, Instant)}. */
    public ChainVerification verify(List<X509Certificate> chain) {
        return verify(chain, Clock.systemUTC().instant());
    }

    /**
     * Verifies a peer chain (leaf first, then intermediates, optionally the root) at {@code at}: RFC 5280 path
     * validation to one of the roots, then the leaf must be an X.509-SVID (not a CA, exactly one valid SPIFFE URI
     * SAN) of an accepted trust domain.
     */
    public ChainVerification verify(List<X509Certificate> chain, Instant at) {
        ChainVerification path = PathValidation.validate(chain, roots, at);
        if (!path.ok()) {
            return path;
        }
        X509Certificate leaf = chain.get(0);
        if (Certificates.isCa(leaf)) {
            return ChainVerification.failed(Failure.NOT_SPIFFE, "leaf " + Certificates.subject(leaf)
                    + " is a CA certificate, not an X.509-SVID");
        }
        SpiffeId id;
        try {
            id = Certificates.spiffeId(leaf);
        } catch (TrustException e) {
            return ChainVerification.failed(Failure.NOT_SPIFFE, e.getMessage());
        }
        if (!accepts(id.trustDomain())) {
            return ChainVerification.failed(Failure.WRONG_TRUST_DOMAIN, "peer " + id + " is in trust domain '"
                    + id.trustDomain() + "', this bundle accepts '" + trustDomain + "'"
                    + (aliases.isEmpty() ? "" : " and aliases " + aliases));
        }
        return ChainVerification.success(id);
    }

    /** Verifies now and returns the peer's SPIFFE ID, or throws {@link ChainRejectedException}. */
    public SpiffeId verifyOrThrow(List<X509Certificate> chain) {
        return verify(chain).peerOrThrow();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrustBundle b && b.trustDomain.equals(trustDomain) && b.roots.equals(roots)
                && b.aliases.equals(aliases);
    }

    @Override
    public int hashCode() {
        return Objects.hash(trustDomain, roots, aliases);
    }

    @Override
    public String toString() {
        List<String> names = new ArrayList<>();
        for (X509Certificate r : roots) {
            names.add(Certificates.subject(r) + " " + Certificates.sha256Fingerprint(r).substring(0, 11));
        }
        return "TrustBundle[" + trustDomain + (aliases.isEmpty() ? "" : " aliases " + aliases) + ", roots " + names + "]";
    }
}
