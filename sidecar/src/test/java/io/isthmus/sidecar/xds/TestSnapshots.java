package io.isthmus.sidecar.xds;

import io.envoyproxy.controlplane.cache.v3.Snapshot;

/** Public access to the test snapshots of {@link Resources} for tests outside this package. */
public final class TestSnapshots {
    private TestSnapshots() {
    }

    /** One service {@code host:port} with one endpoint. */
    public static Snapshot service(String version, String host, int port, String ip) {
        return Resources.service(version, host, port, ip);
    }
}
