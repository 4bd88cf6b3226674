package io.isthmus.sidecar.xds;

import com.google.protobuf.Message;

import java.util.Map;

/**
 * The consumer of one xDS resource type: receives the complete, current set of resources of that
 * type and either puts all of them in force or rejects the update.
 *
 * <p>The contract every implementation keeps:
 * <ul>
 *   <li><b>Complete state.</b> {@code resources} is the whole desired set of this type, keyed by
 *   resource name (static bootstrap resources merged with dynamic ones). A name that was applied
 *   before and is absent now is removed.</li>
 *   <li><b>All or nothing.</b> Validate everything first. On any invalid resource, or any field
 *   whose meaning the proxy cannot honour (e.g. an unsupported {@code lb_policy}), throw
 *   {@link XdsResourceException} naming the type, resource and field, and change nothing: the
 *   previous set stays in force and the client NACKs with that message.</li>
 *   <li><b>In force on return.</b> When {@code apply} returns normally, new requests use the new
 *   set. The client relies on this to warm clusters (CDS, then EDS) before it applies the
 *   listeners that use them.</li>
 *   <li><b>One caller.</b> The xDS client calls every handler from one thread, never
 *   concurrently, in the order Cluster, ClusterLoadAssignment, Listener, RouteConfiguration for
 *   updates that arrive together. Implementations hand state to their event loops themselves
 *   (e.g. by publishing an immutable snapshot through a volatile field) and must not block for
 *   long.</li>
 *   <li><b>Idempotent.</b> The same set may be applied again (after a control-plane reconnect);
 *   unchanged resources must not disturb traffic (no listener rebind, no pool drain).</li>
 * </ul>
 *
 * @param <T> the resource message type, e.g. {@code io.envoyproxy.envoy.config.cluster.v3.Cluster}
 */
@FunctionalInterface
public interface ResourceHandler<T extends Message> {

    /**
     * Puts {@code resources} in force or rejects them.
     *
     * @param resources the complete set of this type by resource name; immutable
     * @param version   the version info of the update ({@code "static"} for the bootstrap)
     * @throws XdsResourceException when a resource is invalid or unsupported; nothing changed
     */
    void apply(Map<String, T> resources, String version) throws XdsResourceException;
}
