package io.isthmus.e2e.support;

import io.isthmus.e2e.local.LocalFederation;
import io.isthmus.e2e.local.Parts;
import io.isthmus.mesh.MeshLabels;
import org.junit.jupiter.api.Assumptions;

/** Helpers the scenarios share: the URLs apps use, identities, and the check that the mesh parts exist. */
public final class Mesh {
    /** What the east client calls: the reviews service by its hostname, as inside one cluster. */
    public static final String REVIEWS_URL = "http://" + MeshLabels.serviceHostname("reviews", "default") + ":9080/reviews";
    /** The details service, which runs only in west. */
    public static final String DETAILS_URL = "http://" + MeshLabels.serviceHostname("details", "default") + ":9080/details";
    /** The east client's identity. */
    public static final String CLIENT_ID = MeshLabels.spiffeId("cluster.local", "default", "client");

    private Mesh() {
    }

    /**
     * Aborts the scenario (skipped, not failed) while a mesh part it needs is genuinely absent
     * from the classpath, naming the part. Once every part exists this never skips.
     */
    public static void assumeMeshParts(LocalFederation fed) {
        Assumptions.assumeTrue(fed.missingParts().isEmpty(), () -> "mesh parts not built yet: " + fed.missingParts());
    }

    /** Whether every part is on the classpath (no federation needed). */
    public static boolean allPartsPresent() {
        return Parts.missing().isEmpty();
    }
}
