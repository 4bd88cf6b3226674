package io.isthmus.trust.ca;

import io.isthmus.trust.KeyAlgorithm;
import io.isthmus.trust.TrustException;
import java.time.Duration;
import java.util.Objects;

/**
 * What a new CA certificate should look like.
 *
 * @param commonName the subject CN
 * @param organization the subject O
 * @param locality the subject L (the cluster name for intermediates), or {@code null}
 * @param algorithm the key type to generate (default EC P-256)
 * @param validity how long the certificate is valid (default 10 years for a root, 5 for an intermediate)
 * @param pathLength the basicConstraints pathLenConstraint: how many CAs may sit below this one
 *     (default 1 for a root, 0 for an intermediate)
 */
public record CaSpec(String commonName, String organization, String locality, KeyAlgorithm algorithm,
        Duration validity, int pathLength) {

    /** Default root validity: 10 years. */
    public static final Duration ROOT_VALIDITY = Duration.ofDays(3650);
    /** Default intermediate validity: 5 years. */
    public static final Duration INTERMEDIATE_VALIDITY = Duration.ofDays(1825);

    public CaSpec {
        Objects.requireNonNull(commonName, "commonName");
        Objects.requireNonNull(organization, "organization");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(validity, "validity");
        if (validity.isNegative() || validity.isZero()) {
            throw new TrustException("CA validity must be positive, got " + validity);
        }
        if (pathLength < 0) {
            throw new TrustException("CA path length must be >= 0, got " + pathLength);
        }
    }

    /** The default root: {@code CN=Isthmus Root CA, O=Isthmus}, EC P-256, 10 years, path length 1. */
    public static CaSpec root() {
        return new CaSpec("Isthmus Root CA", "Isthmus", null, KeyAlgorithm.EC_P256, ROOT_VALIDITY, 1);
    }

    /** The default intermediate of a cluster: {@code CN=Isthmus Intermediate CA, O=Isthmus, L=<cluster>}, 5 years, path length 0. */
    public static CaSpec intermediate(String cluster) {
        Objects.requireNonNull(cluster, "cluster");
        if (!cluster.matches("[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?")) {
            throw new TrustException("cluster name '" + cluster
                    + "' is not valid (letters, digits, '.', '-', '_'; starting and ending with a letter or digit)");
        }
        return new CaSpec("Isthmus Intermediate CA " + cluster, "Isthmus", cluster, KeyAlgorithm.EC_P256,
                INTERMEDIATE_VALIDITY, 0);
    }

    /** This spec with another key algorithm. */
    public CaSpec withAlgorithm(KeyAlgorithm a) {
        return new CaSpec(commonName, organization, locality, a, validity, pathLength);
    }

    /** This spec with another validity. */
    public CaSpec withValidity(Duration v) {
        return new CaSpec(commonName, organization, locality, algorithm, v, pathLength);
    }

    /** This spec with another path length. */
    public CaSpec withPathLength(int p) {
        return new CaSpec(commonName, organization, locality, algorithm, validity, p);
    }

    /** This spec with another common name. */
    public CaSpec withCommonName(String cn) {
        return new CaSpec(cn, organization, locality, algorithm, validity, pathLength);
    }
}
