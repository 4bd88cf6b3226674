package io.isthmus.e2e.support;

import io.isthmus.mesh.MeshLabels;

/** What the scenarios share: the URLs apps use and the identities. */
public final class Mesh {
    /** What the east client calls: the reviews service by its hostname, as inside one cluster. */
    public static final String REVIEWS_URL = "http://" + MeshLabels.serviceHostname("reviews", "default") + ":9080/reviews";
    /** The details service, which runs only in west. */
    public static final String DETAILS_URL = "http://" + MeshLabels.serviceHostname("details", "default") + ":9080/details";
    /** The east client's identity. */
    public static final String CLIENT_ID = MeshLabels.spiffeId("cluster.local", "default", "client");

    private Mesh() {
    }
}
