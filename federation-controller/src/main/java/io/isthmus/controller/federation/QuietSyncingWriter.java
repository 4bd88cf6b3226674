package io.isthmus.controller.federation;

import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.RegistryWriter;
import java.util.Collection;

/**
 * A registry writer that passes everything on except SYNCING statuses: a replacement client of a
 * cluster (secret rotation) lists while the old one keeps the cluster SYNCED.
 */
record QuietSyncingWriter(RegistryWriter delegate) implements RegistryWriter {
    @Override
    public void putService(ClusterService service) {
        delegate.putService(service);
    }

    @Override
    public void removeService(String cluster, String hostname) {
        delegate.removeService(cluster, hostname);
    }

    @Override
    public void replaceCluster(String cluster, Collection<ClusterService> services) {
        delegate.replaceCluster(cluster, services);
    }

    @Override
    public void replaceGateways(String cluster, Collection<NetworkGateway> gateways) {
        delegate.replaceGateways(cluster, gateways);
    }

    @Override
    public void putStatus(ClusterStatus status) {
        if (status.state() != ClusterStatus.State.SYNCING) {
            delegate.putStatus(status);
        }
    }

    @Override
    public void markStale(String cluster) {
        delegate.markStale(cluster);
    }

    @Override
    public void removeCluster(String cluster) {
        delegate.removeCluster(cluster);
    }
}
