package io.isthmus.trust.ca;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.Certificates;
import io.isthmus.trust.Csr;
import io.isthmus.trust.KeyAlgorithm;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.bundle.ChainVerification;
import io.isthmus.trust.bundle.PathValidation;
import io.isthmus.trust.bundle.TrustBundle;
import io.isthmus.trust.ca.IssuanceRefusedException.Refusal;
import io.isthmus.trust.pem.Pem;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A signing CA (a cluster's intermediate) that issues X.509-SVIDs from CSRs under an {@link IssuancePolicy},
 * and server certificates for the control plane's own endpoints.
 *
 * <p>Thread-safe and immutable; issuing is CPU-only (no I/O).
 */
public final class CertificateAuthority {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthority.class);
    private static final X500Name EMPTY = new X500Name(new RDN[0]);

    private final CertifiedKey signer;
    private final List<X509Certificate> caChain;
    private final List<X509Certificate> roots;
    private final IssuancePolicy policy;
    private final Clock clock;
    private final X500Name issuerName;

    private CertificateAuthority(CertifiedKey signer, List<X509Certificate> roots, IssuancePolicy policy, Clock clock) {
        this.signer = signer;
        this.roots = List.copyOf(roots);
        this.policy = policy;
        this.clock = clock;
        this.caChain = completeChain(signer.chain(), this.roots);
        try {
            this.issuerName = new JcaX509CertificateHolder(signer.certificate()).getSubject();
        } catch (Exception e) {
            throw new TrustException("cannot read CA certificate: " + e.getMessage(), e);
        }
    }

    /** Loads a CA from an Istio {@code cacerts} directory with the default policy for the trust domain. */
    public static CertificateAuthority load(Path cacertsDir, String trustDomain) {
        return load(cacertsDir, IssuancePolicy.defaults(trustDomain), Clock.systemUTC());
    }

    /**
     * Loads a CA from an Istio {@code cacerts} directory ({@code ca-cert.pem}, {@code ca-key.pem},
     * {@code root-cert.pem}, {@code cert-chain.pem}); checks that the key matches, that the certificate is a
     * CA, valid now, and chains to one of the roots.
     */
    public static CertificateAuthority load(Path cacertsDir, IssuancePolicy policy, Clock clock) {
        CaFiles.Cacerts c = CaFiles.readCacerts(cacertsDir);
        return of(c.signer(), c.roots(), policy, clock);
    }

    /** A CA from a key + chain (CA certificate first) and the mesh roots; validated as in {@link #load}. */
    public static CertificateAuthority of(CertifiedKey signer, List<X509Certificate> roots, IssuancePolicy policy,
            Clock clock) {
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(roots, "roots");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(clock, "clock");
        X509Certificate ca = signer.certificate();
        boolean[] ku = ca.getKeyUsage();
        if (!Certificates.isCa(ca) || (ku != null && !ku[5])) {
            throw new TrustException("CA certificate " + Certificates.subject(ca)
                    + " cannot sign certificates (no basicConstraints cA=true or no keyCertSign)");
        }
        if (roots.isEmpty()) {
            throw new TrustException("no root certificate given for CA " + Certificates.subject(ca));
        }
        CertificateAuthority authority = new CertificateAuthority(signer, roots, policy, clock);
        Instant now = clock.instant();
        if (roots.contains(ca)) {
            // Istio's self-signed mode: the CA certificate is the root itself; only its validity is left to check
            if (now.isAfter(ca.getNotAfter().toInstant()) || now.isBefore(ca.getNotBefore().toInstant())) {
                throw new TrustException("CA certificate " + Certificates.subject(ca) + " is not usable: valid only from "
                        + ca.getNotBefore().toInstant() + " to " + ca.getNotAfter().toInstant() + " (now " + now + ")");
            }
            return authority;
        }
        ChainVerification v = PathValidation.validate(authority.caChain, roots, now);
        if (!v.ok()) {
            throw new TrustException("CA certificate " + Certificates.subject(ca) + " is not usable: " + v.message());
        }
        return authority;
    }

    /** The trust domain this CA issues for. */
    public String trustDomain() {
        return policy.trustDomain();
    }

    /** The issuance rules in force. */
    public IssuancePolicy policy() {
        return policy;
    }

    /** The CA's own certificate (the intermediate). */
    public X509Certificate caCertificate() {
        return signer.certificate();
    }

    /** The CA certificate followed by its issuers up to and including the root. */
    public List<X509Certificate> caChain() {
        return caChain;
    }

    /** The mesh roots from {@code root-cert.pem}. */
    public List<X509Certificate> roots() {
        return roots;
    }

    /** The trust bundle of this CA's trust domain: its roots. */
    public TrustBundle trustBundle() {
        return TrustBundle.of(trustDomain(), roots);
    }

    /** Issues a workload certificate from a PEM CSR; see {@link #issueWorkload(PKCS10CertificationRequest, SpiffeId, Duration)}. */
    public List<X509Certificate> issueWorkload(String csrPem, SpiffeId authenticatedAs, Duration ttl) {
        PKCS10CertificationRequest csr;
        try {
            csr = Pem.readCsr(csrPem);
        } catch (TrustException e) {
            throw new IssuanceRefusedException(Refusal.MALFORMED_CSR, e.getMessage());
        }
        return issueWorkload(csr, authenticatedAs, ttl);
    }

    /**
     * Issues an X.509-SVID for a CSR whose caller was authenticated as {@code authenticatedAs}. Refuses (with
     * {@link IssuanceRefusedException}) a bad CSR signature, a CA request, a CSR without exactly one URI SAN or
     * with other SANs, another trust domain, or another identity than the authenticated one.
     *
     * @param ttl the requested lifetime; {@code null} or zero for the default; capped at the policy's maximum
     *     and at the CA's own notAfter
     * @return the chain: the new leaf, the CA certificate, its issuers, the root
     */
    public List<X509Certificate> issueWorkload(PKCS10CertificationRequest csr, SpiffeId authenticatedAs,
            Duration ttl) {
        Objects.requireNonNull(csr, "csr");
        Objects.requireNonNull(authenticatedAs, "authenticatedAs");
        CsrCheck.Checked checked = CsrCheck.check(csr);
        SpiffeId requested = checked.spiffeId();
        if (!requested.memberOf(trustDomain())) {
            throw new IssuanceRefusedException(Refusal.WRONG_TRUST_DOMAIN, "CSR asks for " + requested
                    + " in trust domain '" + requested.trustDomain() + "'; this CA issues only for '" + trustDomain() + "'");
        }
        if (!authenticatedAs.memberOf(trustDomain())) {
            throw new IssuanceRefusedException(Refusal.WRONG_TRUST_DOMAIN, "caller authenticated as " + authenticatedAs
                    + " is not in trust domain '" + trustDomain() + "'");
        }
        if (!requested.equals(authenticatedAs)) {
            throw new IssuanceRefusedException(Refusal.IDENTITY_MISMATCH, "CSR asks for " + requested
                    + " but the caller was authenticated as " + authenticatedAs);
        }
        X509Certificate leaf = sign(checked.publicKey(), requested, List.of(), policy.grantedTtl(ttl));
        LOG.debug("issued workload certificate [{}] serial={} notAfter={}", requested,
                leaf.getSerialNumber().toString(16), leaf.getNotAfter().toInstant());
        return withChain(leaf);
    }

    /**
     * Issues a server certificate with a fresh EC P-256 key for the control plane's own endpoints: URI SAN
     * {@code id} and one DNS or IP SAN per host name (IP literals become IP SANs). Not subject to the CSR rules.
     */
    public CertifiedKey issueServer(SpiffeId id, List<String> hostNames, Duration ttl) {
        Objects.requireNonNull(id, "id");
        KeyPair kp = KeyAlgorithm.EC_P256.generate();
        X509Certificate leaf = sign(kp.getPublic(), id, List.copyOf(hostNames), policy.grantedTtl(ttl));
        LOG.debug("issued server certificate [{}] hosts={} notAfter={}", id, hostNames, leaf.getNotAfter().toInstant());
        return new CertifiedKey(kp.getPrivate(), withChain(leaf));
    }

    /** Generates a key and CSR for {@code id} and issues it: a workload certificate in one call (tools, tests). */
    public CertifiedKey issueWorkloadKey(SpiffeId id, Duration ttl) {
        Csr.KeyAndCsr k = Csr.generate(id);
        return k.complete(issueWorkload(k.csr(), id, ttl));
    }

    private List<X509Certificate> withChain(X509Certificate leaf) {
        List<X509Certificate> chain = new ArrayList<>(caChain.size() + 1);
        chain.add(leaf);
        chain.addAll(caChain);
        return List.copyOf(chain);
    }

    private X509Certificate sign(PublicKey key, SpiffeId id, List<String> hostNames, Duration ttl) {
        Instant now = clock.instant();
        Instant caNotAfter = null;
        for (X509Certificate c : caChain) {
            if (now.isAfter(c.getNotAfter().toInstant())) {
                throw new IssuanceRefusedException(Refusal.CA_NOT_VALID, "CA certificate " + Certificates.subject(c)
                        + " expired at " + c.getNotAfter().toInstant());
            }
            if (now.isBefore(c.getNotBefore().toInstant())) {
                throw new IssuanceRefusedException(Refusal.CA_NOT_VALID, "CA certificate " + Certificates.subject(c)
                        + " is not valid before " + c.getNotBefore().toInstant());
            }
            Instant na = c.getNotAfter().toInstant();
            caNotAfter = caNotAfter == null || na.isBefore(caNotAfter) ? na : caNotAfter;
        }
        Instant notAfter = now.plus(ttl);
        if (caNotAfter != null && notAfter.isAfter(caNotAfter)) {
            notAfter = caNotAfter;
        }
        Instant notBefore = now.minus(policy.backdate());
        X509v3CertificateBuilder b = X509.builder(issuerName, EMPTY, notBefore, notAfter, key, signer.certificate());
        try {
            List<GeneralName> names = new ArrayList<>();
            names.add(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString()));
            for (String h : hostNames) {
                names.add(isIpLiteral(h) ? new GeneralName(GeneralName.iPAddress, h) : new GeneralName(GeneralName.dNSName, h));
            }
            b.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(names.toArray(GeneralName[]::new)));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            int usage = KeyUsage.digitalSignature | (key instanceof RSAPublicKey ? KeyUsage.keyEncipherment : 0);
            b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        } catch (Exception e) {
            throw new TrustException("cannot build certificate for " + id + ": " + e.getMessage(), e);
        }
        return X509.sign(b, signer.privateKey());
    }

    private static boolean isIpLiteral(String h) {
        return h.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (h.contains(":") && h.matches("[0-9a-fA-F:.]+"));
    }

    private static List<X509Certificate> completeChain(List<X509Certificate> signerChain, List<X509Certificate> roots) {
        List<X509Certificate> chain = new ArrayList<>(signerChain);
        X509Certificate last = chain.get(chain.size() - 1);
        if (!last.getSubjectX500Principal().equals(last.getIssuerX500Principal())) {
            for (X509Certificate r : roots) {
                if (r.getSubjectX500Principal().equals(last.getIssuerX500Principal()) && verifies(last, r)) {
                    chain.add(r);
                    break;
                }
            }
        }
        return List.copyOf(chain);
    }

    private static boolean verifies(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
