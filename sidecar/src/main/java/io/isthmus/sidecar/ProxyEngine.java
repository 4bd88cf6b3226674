package io.isthmus.sidecar;

import io.isthmus.sidecar.admin.ClusterStatusSource;
import io.isthmus.sidecar.xds.ResourceSink;

/**
 * The data plane as {@link Sidecar} drives it: it takes xDS resources through
 * {@link ResourceSink}, reports endpoint state to the admin endpoint through
 * {@link ClusterStatusSource}, and stops on {@link #close()}.
 *
 * <p>{@code io.isthmus.sidecar.DataPlane} implements it and offers
 * {@code public static DataPlane start(DataPlaneContext context)}; {@link Sidecar} calls that once
 * the certificate source exists and before the first resource is applied (the bootstrap's
 * {@code static_resources} come first, through the same handlers).
 */
public interface ProxyEngine extends ResourceSink, ClusterStatusSource, AutoCloseable {

    /**
     * Stops accepting connections, lets requests in flight finish for at most the drain time of
     * the context, then closes everything. Never throws.
     */
    @Override
    void close();
}
