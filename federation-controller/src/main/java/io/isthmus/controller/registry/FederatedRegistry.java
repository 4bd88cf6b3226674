package io.isthmus.controller.registry;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The read side of the federated registry: every service of every joined cluster, merged by
 * hostname, plus east-west gateways and per-cluster sync state. Implementations are thread-safe and
 * return immutable snapshots.
 */
public interface FederatedRegistry {

    /** Every service, any order. */
    Collection<FederatedService> services();

    /** The service with this hostname. */
    Optional<FederatedService> service(String hostname);

    /** Every known east-west gateway. */
    List<NetworkGateway> gateways();

    /** The east-west gateways of one network (several when several clusters share it). */
    default List<NetworkGateway> gateways(String network) {
        return gateways().stream().filter(g -> g.network().equals(network)).toList();
    }

    /** The sync state of every cluster, sorted by name. */
    List<ClusterStatus> clusters();

    /**
     * A proxy's own workload: the pod in {@code cluster}/{@code namespace} whose pod name or IP is
     * {@code podNameOrAddress}, with the services it backs (ready or not). Empty when it backs no
     * service the registry knows.
     */
    Optional<WorkloadInstance> workload(String cluster, String namespace, String podNameOrAddress);

    /**
     * Registers a listener told about every later change.
     *
     * @return closing it removes the listener
     */
    AutoCloseable addListener(RegistryListener listener);
}
