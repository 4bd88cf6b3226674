package io.isthmus.trust.testing;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.bundle.TrustBundle;
import io.isthmus.trust.ca.CaFactory;
import io.isthmus.trust.ca.CaFiles;
import io.isthmus.trust.ca.CaSpec;
import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.ca.IssuancePolicy;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A complete mesh PKI for tests: one root, one intermediate per cluster (written in Istio's {@code cacerts}
 * layout under {@code dir/<cluster>/}), and workload certificates on demand. Also a foreign root to prove that
 * strangers are refused.
 *
 * <pre>{@code
 * TestPki pki = TestPki.create(tempDir);                 // clusters east and west, trust domain cluster.local
 * CertifiedKey client = pki.workload("east", "default", "sleep");
 * pki.writeWorkloadDir("west", "default", "reviews", dir); // cert-chain.pem key.pem root-cert.pem
 * TrustBundle bundle = pki.bundle();
 * }</pre>
 */
public final class TestPki {
    /** The trust domain of every fixture PKI. */
    public static final String TRUST_DOMAIN = SpiffeId.DEFAULT_TRUST_DOMAIN;

    private final Path dir;
    private final CertifiedKey root;
    private final Map<String, CertificateAuthority> authorities = new LinkedHashMap<>();
    private CertificateAuthority foreign;

    private TestPki(Path dir, CertifiedKey root) {
        this.dir = dir;
        this.root = root;
    }

    /** A root and intermediates for {@code east} and {@code west} under {@code dir}. */
    public static TestPki create(Path dir) {
        return create(dir, "east", "west");
    }

    /** A root ({@code dir/root/}) and one intermediate per cluster ({@code dir/<cluster>/}, Istio cacerts). */
    public static TestPki create(Path dir, String... clusters) {
        Objects.requireNonNull(dir, "dir");
        CertifiedKey root = CaFactory.createRoot(CaSpec.root());
        CaFiles.writeRoot(dir.resolve("root"), root);
        TestPki pki = new TestPki(dir, root);
        for (String c : clusters) {
            pki.addCluster(c);
        }
        return pki;
    }

    /** Adds (or replaces) a cluster intermediate signed by the root, written to {@code dir/<cluster>/}. */
    public CertificateAuthority addCluster(String cluster) {
        CertifiedKey intermediate = CaFactory.createIntermediate(root, CaSpec.intermediate(cluster));
        CaFiles.writeCacerts(cacertsDir(cluster), intermediate, List.of(root.certificate()));
        CertificateAuthority ca = CertificateAuthority.of(intermediate, List.of(root.certificate()),
                IssuancePolicy.defaults(TRUST_DOMAIN), Clock.systemUTC());
        authorities.put(cluster, ca);
        return ca;
    }

    /** The root CA (key and certificate). */
    public CertifiedKey root() {
        return root;
    }

    /** The root certificate. */
    public X509Certificate rootCertificate() {
        return root.certificate();
    }

    /** The file holding the root certificate ({@code dir/root/root-cert.pem}). */
    public Path rootCertFile() {
        return dir.resolve("root").resolve(CaFiles.ROOT_CERT);
    }

    /** The cacerts directory of a cluster ({@code ca-cert.pem ca-key.pem root-cert.pem cert-chain.pem}). */
    public Path cacertsDir(String cluster) {
        return dir.resolve(cluster);
    }

    /** The CA of a cluster. */
    public CertificateAuthority authority(String cluster) {
        CertificateAuthority ca = authorities.get(cluster);
        if (ca == null) {
            throw new IllegalArgumentException("no cluster '" + cluster + "' in this PKI; have " + authorities.keySet());
        }
        return ca;
    }

    /** The trust bundle of the mesh: the root. */
    public TrustBundle bundle() {
        return TrustBundle.of(TRUST_DOMAIN, List.of(root.certificate()));
    }

    /** A workload certificate (24 h) for {@code ns/sa} from a cluster's intermediate; chain ends with the root. */
    public CertifiedKey workload(String cluster, String namespace, String serviceAccount) {
        return workload(cluster, SpiffeId.of(TRUST_DOMAIN, namespace, serviceAccount), Duration.ofHours(24));
    }

    /** A workload certificate for any ID of the trust domain with the given lifetime. */
    public CertifiedKey workload(String cluster, SpiffeId id, Duration ttl) {
        return authority(cluster).issueWorkloadKey(id, ttl);
    }

    /** Writes a workload's {@code cert-chain.pem key.pem root-cert.pem} (the proxies' {@code --cert-dir}). */
    public CertifiedKey writeWorkloadDir(String cluster, String namespace, String serviceAccount, Path target) {
        CertifiedKey w = workload(cluster, namespace, serviceAccount);
        CaFiles.writeWorkload(target, w, List.of(root.certificate()));
        return w;
    }

    /** A workload of the same trust domain and names but from another, unrelated root: peers must refuse it. */
    public CertifiedKey foreignWorkload(String namespace, String serviceAccount) {
        if (foreign == null) {
            CertifiedKey otherRoot = CaFactory.createRoot(CaSpec.root());
            CertifiedKey otherIntermediate = CaFactory.createIntermediate(otherRoot, CaSpec.intermediate("foreign"));
            foreign = CertificateAuthority.of(otherIntermediate, List.of(otherRoot.certificate()),
                    IssuancePolicy.defaults(TRUST_DOMAIN), Clock.systemUTC());
        }
        return foreign.issueWorkloadKey(SpiffeId.of(TRUST_DOMAIN, namespace, serviceAccount), Duration.ofHours(24));
    }

    /** The directory this PKI lives in. */
    public Path dir() {
        return dir;
    }
}
