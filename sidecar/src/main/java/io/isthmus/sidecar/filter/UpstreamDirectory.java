package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.cluster.UpstreamCluster;
import io.isthmus.sidecar.route.RouteTable;
import java.util.Optional;

/** What the filters look up at request time: the route tables and clusters currently in force. */
public interface UpstreamDirectory {

    /** The RDS route table of that name. */
    Optional<RouteTable> routeTable(String name);

    /** The cluster of that name. */
    Optional<UpstreamCluster> cluster(String name);
}
