package io.isthmus.controller.registry;

import java.time.Instant;
import java.util.Objects;

/**
 * The sync state of one cluster's API server as the federation sees it ({@code /debug/clusterz}).
 *
 * @param name the cluster name
 * @param state the state
 * @param reason why, for STALE and ERRORED (empty otherwise)
 * @param since when the cluster entered this state
 * @param services number of services the cluster contributes
 * @param endpoints number of endpoints the cluster contributes
 */
public record ClusterStatus(String name, State state, String reason, Instant since, int services, int endpoints) {

    /** Sync state of a cluster. */
    public enum State {
        /** Informers started, initial list not complete yet. */
        SYNCING,
        /** Initial list done, watches running. */
        SYNCED,
        /** The API server stopped answering; last-known endpoints kept and marked STALE. */
        STALE,
        /** The secret could not be parsed or the API server refused the credentials; nothing from it is served. */
        ERRORED
    }

    public ClusterStatus {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(since, "since");
        if (services < 0 || endpoints < 0) {
            throw new IllegalArgumentException("counts must be >= 0");
        }
    }

    /** A status with no counts yet. */
    public static ClusterStatus of(String name, State state, String reason, Instant since) {
        return new ClusterStatus(name, state, reason, since, 0, 0);
    }
}
