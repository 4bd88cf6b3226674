package io.isthmus.sidecar.admin;

import java.util.List;

/** What the data plane reports to the admin endpoint {@code /clusters}: every endpoint's live state. */
@FunctionalInterface
public interface ClusterStatusSource {

    /** A snapshot of every endpoint of every cluster; safe to call from any thread. */
    List<EndpointStatus> endpointStatus();
}
