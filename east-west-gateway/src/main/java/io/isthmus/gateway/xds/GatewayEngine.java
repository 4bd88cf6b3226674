package io.isthmus.gateway.xds;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.isthmus.gateway.GatewayException;
import io.isthmus.gateway.lb.EndpointSelector;
import io.isthmus.gateway.lb.OutlierTracker;
import io.isthmus.gateway.listener.PassthroughOptions;
import io.isthmus.gateway.listener.PassthroughServer;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.gateway.route.MutablePassthroughTable;
import io.isthmus.gateway.route.SniRouter;
import io.isthmus.gateway.telemetry.GatewayMetrics;
import io.isthmus.mesh.OutboundName;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.sidecar.DataPlaneContext;
import io.isthmus.sidecar.ProxyEngine;
import io.isthmus.sidecar.admin.EndpointStatus;
import io.isthmus.sidecar.xds.ResourceHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The east-west gateway's data plane behind the sidecar's xDS client: CDS names the mesh clusters
 * of the gateway's network ({@code outbound|<port>|<subset>|<host>}), EDS their local endpoints;
 * together they form the {@link MutablePassthroughTable} the passthrough listener routes by.
 * Listener and route resources are accepted and ignored: the gateway's one listener is its own.
 *
 * <p>The xDS client calls the handlers from one thread; the table is published as an immutable
 * snapshot for the event loops.
 */
public final class GatewayEngine implements ProxyEngine {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayEngine.class);

    private final MutablePassthroughTable table = new MutablePassthroughTable();
    private final OutlierTracker outliers = new OutlierTracker(Duration.ofSeconds(30), Duration.ofMinutes(5), System::nanoTime);
    private final GatewayMetrics metrics;
    private final PassthroughServer server;
    private final String context;
    private final Duration drainTime;
    private final CompletableFuture<Void> firstEndpoints = new CompletableFuture<>();
    private Set<String> clusterNames = Set.of();
    private Map<String, List<GatewayEndpoint>> inline = Map.of();
    private Map<String, List<GatewayEndpoint>> assigned = Map.of();

    private GatewayEngine(DataPlaneContext ctx, PassthroughOptions options, Map<String, InetSocketAddress> fixedRoutes)
            throws GatewayException {
        this.context = ctx.node().logContext();
        this.drainTime = ctx.drainTime();
        this.metrics = new GatewayMetrics(ctx.meters(), ctx.node().clusterId().isEmpty() ? "unknown" : ctx.node().clusterId());
        metrics.gauge("isthmus_gateway_clusters", "Mesh clusters the gateway can pass to", () -> table.clusterNames().size());
        metrics.gauge("isthmus_gateway_ejected_endpoints", "Endpoints ejected after refusing connections", outliers::ejectedCount);
        if (!ProxyMetadata.TYPE_ROUTER.equals(ctx.node().type())) {
            LOG.warn("gateway node is of type '{}', not router {}: the controller may send it a sidecar's view", ctx.node().type(), context);
        }
        if (ctx.node().string(ProxyMetadata.REQUESTED_NETWORK_VIEW).isEmpty()) {
            LOG.warn("gateway node has no metadata {} {}: the controller may send it no endpoints", ProxyMetadata.REQUESTED_NETWORK_VIEW, context);
        }
        this.server = PassthroughServer.start(options, new SniRouter(table, fixedRoutes), new EndpointSelector(outliers), metrics,
                io.isthmus.gateway.relay.Transport.detect(), firstEndpoints);
    }

    /** Starts the passthrough listener; resources arrive through the handlers afterwards. */
    public static GatewayEngine start(DataPlaneContext ctx, PassthroughOptions options, Map<String, InetSocketAddress> fixedRoutes)
            throws GatewayException {
        return new GatewayEngine(ctx, options, fixedRoutes);
    }

    /** The routing table in force. */
    public MutablePassthroughTable table() {
        return table;
    }

    /** The passthrough listener. */
    public PassthroughServer server() {
        return server;
    }

    /** The gateway's meters. */
    public GatewayMetrics metrics() {
        return metrics;
    }

    /** The outlier tracker. */
    public OutlierTracker outliers() {
        return outliers;
    }

    /** Completes when the first endpoint assignment has been applied (or CDS named no EDS cluster). */
    public CompletableFuture<Void> firstEndpoints() {
        return firstEndpoints;
    }

    @Override
    public ResourceHandler<Listener> listeners() {
        return (resources, version) -> LOG.debug("listeners ignored [version={} count={}] {}", version, resources.size(), context);
    }

    @Override
    public ResourceHandler<RouteConfiguration> routes() {
        return (resources, version) -> LOG.debug("routes ignored [version={} count={}] {}", version, resources.size(), context);
    }

    @Override
    public ResourceHandler<Cluster> clusters() {
        return (resources, version) -> {
            Map<String, List<GatewayEndpoint>> nextInline = new HashMap<>();
            List<String> names = new ArrayList<>();
            int eds = 0;
            for (Map.Entry<String, Cluster> e : resources.entrySet()) {
                if (OutboundName.parseClusterName(e.getKey()).isEmpty()) {
                    continue;
                }
                names.add(e.getKey());
                if (e.getValue().getType() == Cluster.DiscoveryType.EDS) {
                    eds++;
                }
                if (e.getValue().hasLoadAssignment()) {
                    nextInline.put(e.getKey(), EndpointsTranslator.translate(e.getValue().getLoadAssignment()));
                }
            }
            clusterNames = Set.copyOf(names);
            inline = Map.copyOf(nextInline);
            publish();
            LOG.info("clusters applied [version={} mesh={} of {}] {}", version, names.size(), resources.size(), context);
            if (eds == 0 && !"static".equals(version)) {
                // nothing to wait for: no EDS will come for a network without endpoint clusters
                firstEndpoints.complete(null);
            }
        };
    }

    @Override
    public ResourceHandler<ClusterLoadAssignment> endpoints() {
        return (resources, version) -> {
            Map<String, List<GatewayEndpoint>> next = new HashMap<>();
            for (Map.Entry<String, ClusterLoadAssignment> e : resources.entrySet()) {
                next.put(e.getKey(), EndpointsTranslator.translate(e.getValue()));
            }
            assigned = Map.copyOf(next);
            publish();
            int count = next.values().stream().mapToInt(List::size).sum();
            LOG.info("endpoints applied [version={} clusters={} endpoints={}] {}", version, next.size(), count, context);
            firstEndpoints.complete(null);
        };
    }

    private void publish() {
        Map<String, List<GatewayEndpoint>> next = new HashMap<>();
        for (String name : clusterNames) {
            next.put(name, assigned.getOrDefault(name, inline.getOrDefault(name, List.of())));
        }
        table.replaceAll(next);
    }

    @Override
    public List<EndpointStatus> endpointStatus() {
        List<EndpointStatus> out = new ArrayList<>();
        table.snapshot().forEach((cluster, endpoints) -> {
            for (GatewayEndpoint e : endpoints) {
                out.add(new EndpointStatus(cluster, e.address().getAddress().getHostAddress(), e.address().getPort(),
                        e.locality(), e.priority(), e.weight(), "HEALTHY", outliers.ejected(e.address()), 0,
                        EndpointStatus.PASSTHROUGH));
            }
        });
        return out;
    }

    /** Stops the passthrough listener: it stops accepting, and its open connections get the proxy's drain time. */
    @Override
    public void close() {
        server.close(drainTime);
    }
}
