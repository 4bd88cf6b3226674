package io.isthmus.controller.registry;

import java.util.Collection;

/**
 * The write side of the federated registry: what a discovery source (one cluster's informers, the
 * file registry) reports. Each cluster is written by one source at a time.
 */
public interface RegistryWriter {

    /** Adds or replaces one cluster's view of a service. */
    void putService(ClusterService service);

    /** Removes one cluster's view of a service (the service stays if other clusters have it). */
    void removeService(String cluster, String hostname);

    /**
     * Sets the cluster's services to exactly {@code services} (a full resync): others of that cluster
     * are removed, unchanged ones cause no notification.
     */
    void replaceCluster(String cluster, Collection<ClusterService> services);

    /** Sets the east-west gateways announced by one cluster to exactly {@code gateways}. */
    void replaceGateways(String cluster, Collection<NetworkGateway> gateways);

    /** Records a cluster's sync state. The counts are filled in by the registry. */
    void putStatus(ClusterStatus status);

    /** Marks every HEALTHY endpoint of the cluster STALE (its API server stopped answering). */
    void markStale(String cluster);

    /** Removes the cluster: its services, endpoints, gateways and status. */
    void removeCluster(String cluster);
}
