package io.isthmus.gateway.route;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The gateway's routing table: for each xDS cluster name {@code outbound|<port>|<subset>|<host>} of
 * a service on this network, its local endpoints. Implementations publish immutable snapshots and
 * are safe to read from any thread.
 */
public interface PassthroughTable {

    /**
     * The endpoints of a cluster.
     *
     * @param clusterName the xDS cluster name
     * @return empty when the cluster is unknown (not a service of this network); a possibly empty
     *     list when it is known
     */
    Optional<List<GatewayEndpoint>> endpoints(String clusterName);

    /** A fixed table, e.g. for tests and static configuration. */
    static PassthroughTable of(Map<String, List<GatewayEndpoint>> clusters) {
        MutablePassthroughTable table = new MutablePassthroughTable();
        table.replaceAll(clusters);
        return table;
    }
}
