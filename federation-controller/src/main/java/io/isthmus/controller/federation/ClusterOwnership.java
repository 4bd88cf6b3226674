package io.isthmus.controller.federation;

import java.util.Optional;

/**
 * Which replica of the controller watches which cluster's API server: exactly one at a time. The
 * {@link ClusterManager} calls {@link #tryAcquire} for every cluster about once a second and runs
 * that cluster's informers only while it returns true.
 */
public interface ClusterOwnership extends AutoCloseable {

    /** Acquires or renews this replica's ownership of the cluster; true when this replica owns it now. */
    boolean tryAcquire(String cluster);

    /** Gives ownership up (the cluster left, or this replica stops). */
    void release(String cluster);

    /** The replica owning the cluster, if any. */
    Optional<String> owner(String cluster);

    /** This replica's id. */
    String self();

    /** How many replicas share the clusters now (1 when alone). */
    default int replicas() {
        return 1;
    }

    @Override
    default void close() {
    }

    /** The ownership of a replica that is alone: it owns every cluster. */
    static ClusterOwnership standalone() {
        return new ClusterOwnership() {
            @Override
            public boolean tryAcquire(String cluster) {
                return true;
            }

            @Override
            public void release(String cluster) {
            }

            @Override
            public Optional<String> owner(String cluster) {
                return Optional.of("standalone");
            }

            @Override
            public String self() {
                return "standalone";
            }
        };
    }
}
