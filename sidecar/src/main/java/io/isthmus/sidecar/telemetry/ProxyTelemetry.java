package io.isthmus.sidecar.telemetry;

import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.tls.SpiffeIdentity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istio's standard metrics ({@code istio_requests_total}, {@code istio_request_duration_milliseconds},
 * {@code istio_request_bytes}, {@code istio_response_bytes}, {@code istio_tcp_*}) with Istio's labels,
 * plus the JSON access log. Labels come from configuration (cluster names, node identity, peer
 * principals) and status codes, so their cardinality is bounded; past {@value #MAX_SERIES} series
 * further label sets are folded into {@code other}. Thread-safe.
 */
public final class ProxyTelemetry {

    /** Upper bound on metric series before label sets are folded. */
    public static final int MAX_SERIES = 20_000;

    private static final Logger ACCESS = LoggerFactory.getLogger("io.isthmus.sidecar.access");
    private static final double[] DURATION_BUCKETS = {0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
        30000, 60000, 300000, 600000, 1800000, 3600000};
    private static final double[] BYTE_BUCKETS = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

    /** Cluster name -> whether it names a mesh service ({@link #isMeshCluster}). */
    private static final java.util.concurrent.ConcurrentHashMap<String, Boolean> MESH_CLUSTERS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final MeterRegistry registry;
    private final NodeIdentity node;
    private final Supplier<String> ownSpiffeId;
    private final PeerMetadata ownPeerMetadata;
    private final java.util.concurrent.ConcurrentHashMap<HttpKey, HttpMeters> httpMeters =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param registry where the metrics go (served on :15090/stats/prometheus by the assembly)
     * @param node this proxy's identity
     * @param ownSpiffeId the current SPIFFE ID of this proxy's certificate (empty when none yet)
     */
    public ProxyTelemetry(MeterRegistry registry, NodeIdentity node, Supplier<String> ownSpiffeId) {
        this(registry, node, ownSpiffeId, PeerMetadata.NONE);
    }

    /**
     * @param registry where the metrics go (served on :15090/stats/prometheus by the assembly)
     * @param node this proxy's identity
     * @param ownSpiffeId the current SPIFFE ID of this proxy's certificate (empty when none yet)
     * @param ownPeerMetadata what this proxy tells its peers about itself where the chain exchanges peer metadata
     */
    public ProxyTelemetry(MeterRegistry registry, NodeIdentity node, Supplier<String> ownSpiffeId,
                          PeerMetadata ownPeerMetadata) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.node = Objects.requireNonNull(node, "node");
        this.ownSpiffeId = Objects.requireNonNull(ownSpiffeId, "ownSpiffeId");
        this.ownPeerMetadata = Objects.requireNonNull(ownPeerMetadata, "ownPeerMetadata");
    }

    /** A telemetry with its own fresh registry. */
    public static ProxyTelemetry standalone(NodeIdentity node, Supplier<String> ownSpiffeId) {
        return new ProxyTelemetry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), node, ownSpiffeId);
    }

    /** The peer metadata headers this proxy sends ({@link PeerMetadata#NONE} when it tells nothing). */
    public PeerMetadata ownPeerMetadata() {
        return ownPeerMetadata;
    }

    /** The registry the metrics are in. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition (empty when the registry is not a Prometheus one). */
    public String scrape() {
        return registry instanceof PrometheusMeterRegistry p ? p.scrape() : "";
    }

    /**
     * Whether {@link #record} writes access-log lines (the {@code io.isthmus.sidecar.access} logger at INFO):
     * when not, what only the log shows (the client and upstream addresses) need not be rendered.
     */
    public boolean accessLogEnabled() {
        return ACCESS.isInfoEnabled();
    }

    /** Records one finished HTTP request: metrics and one access-log line. */
    public void record(RequestRecord r) {
        HttpKey key = new HttpKey(r.direction(), r.cluster(), r.peerPrincipal(), r.grpc(), r.status(), r.flags(),
                requestedHost(r), r.upstreamCluster(), r.peer());
        HttpMeters m = httpMeters.get(key);
        if (m == null) {
            if (httpMeters.size() >= MAX_SERIES) {
                key = new HttpKey(r.direction(), "other", "other", r.grpc(), r.status(), r.flags(), "", "", NodeIdentity.UNKNOWN);
            }
            m = httpMeters.computeIfAbsent(key, this::register);
        }
        m.requests().increment();
        m.duration().record(r.durationMillis());
        m.requestBytes().record(r.requestBytes());
        m.responseBytes().record(r.responseBytes());
        if (ACCESS.isInfoEnabled()) {
            ACCESS.info(AccessLogLine.json(r));
        }
    }

    /**
     * The Host of an outbound request that reached no mesh cluster (a {@code block_all} refusal, a
     * direct response), which then names the destination service as in Istio; for an inbound request the
     * service its cluster serves ({@link RequestRecord#inboundService()}); empty otherwise.
     */
    private static String requestedHost(RequestRecord r) {
        if ("inbound".equals(r.direction())) {
            return r.inboundService();
        }
        if (isMeshCluster(r.cluster())
                || r.authority() == null || r.authority().isEmpty()) {
            return "";
        }
        String a = r.authority();
        int colon = a.lastIndexOf(':');
        return colon > 0 && a.indexOf(']') < colon ? a.substring(0, colon) : a;
    }

    /**
     * Whether a cluster name is a mesh service's ({@code outbound|port|subset|host}), remembered per name:
     * names come from configuration, so the set is small; past {@value #MAX_SERIES} names it is parsed each time.
     */
    private static boolean isMeshCluster(String cluster) {
        if (cluster == null) {
            return false;
        }
        Boolean known = MESH_CLUSTERS.get(cluster);
        if (known == null) {
            known = OutboundName.parseClusterName(cluster).isPresent();
            if (MESH_CLUSTERS.size() < MAX_SERIES) {
                MESH_CLUSTERS.put(cluster, known);
            }
        }
        return known;
    }

    private HttpMeters register(HttpKey k) {
        Tags tags = labels(k.direction(), k.cluster(), k.peer(), k.host(), k.destCluster(), k.peerNode())
                .and("request_protocol", k.grpc() ? "grpc" : "http")
                .and("response_code", Integer.toString(k.status()))
                .and("response_flags", k.flags());
        return new HttpMeters(
                Counter.builder("istio_requests").description("Requests handled by the proxy").tags(tags).register(registry),
                DistributionSummary.builder("istio_request_duration_milliseconds").tags(tags)
                        .serviceLevelObjectives(DURATION_BUCKETS).register(registry),
                DistributionSummary.builder("istio_request_bytes").tags(tags).serviceLevelObjectives(BYTE_BUCKETS)
                        .register(registry),
                DistributionSummary.builder("istio_response_bytes").tags(tags).serviceLevelObjectives(BYTE_BUCKETS)
                        .register(registry));
    }

    /** What distinguishes one HTTP metric series from another. */
    private record HttpKey(String direction, String cluster, String peer, boolean grpc, int status, String flags,
                           String host, String destCluster, NodeIdentity peerNode) {
    }

    /** The meters of one HTTP series. */
    private record HttpMeters(Counter requests, DistributionSummary duration, DistributionSummary requestBytes,
                              DistributionSummary responseBytes) {
    }

    /**
     * Records an opened TCP proxy connection ({@code c} with no bytes yet; its flags {@code -}, or why it was refused
     * when it closes at once).
     */
    public void tcpOpened(ConnectionRecord c) {
        Counter.builder("istio_tcp_connections_opened").tags(tcpTags(c)).register(registry).increment();
    }

    /**
     * Records a closed TCP proxy connection: its metrics with its bytes ({@code istio_tcp_sent_bytes} are the
     * bytes sent downstream) and one access-log line.
     */
    public void tcpClosed(ConnectionRecord c) {
        Tags tags = tcpTags(c);
        Counter.builder("istio_tcp_connections_closed").tags(tags).register(registry).increment();
        Counter.builder("istio_tcp_sent_bytes").tags(tags).register(registry).increment(c.sentBytes());
        Counter.builder("istio_tcp_received_bytes").tags(tags).register(registry).increment(c.receivedBytes());
        if (ACCESS.isInfoEnabled()) {
            ACCESS.info(AccessLogLine.json(c));
        }
    }

    /** Istio's labels of a TCP series, with its {@code request_protocol} ({@code tcp}) and {@code response_flags}. */
    private Tags tcpTags(ConnectionRecord c) {
        return bounded(labels(c.direction(), c.cluster(), c.peerPrincipal(), c.inboundService(), c.upstreamCluster(),
                NodeIdentity.UNKNOWN).and("request_protocol", "tcp").and("response_flags", c.flags()));
    }

    /** Istio's clusters for traffic to no mesh service, which name themselves in {@code destination_service_name}. */
    private static final java.util.Set<String> PASSTHROUGH_CLUSTERS = java.util.Set.of(
            "PassthroughCluster", "BlackHoleCluster", "InboundPassthroughClusterIpv4", "InboundPassthroughClusterIpv6");

    /**
     * Istio's labels of one series. {@code peerNode} is the peer as it described itself in the peer metadata
     * exchange (the caller for inbound, the callee for outbound), {@link NodeIdentity#UNKNOWN} when it did not.
     */
    private Tags labels(String direction, String cluster, String peerPrincipal, String requestedHost, String destCluster,
                        NodeIdentity peerNode) {
        boolean inbound = "inbound".equals(direction);
        String own = ownSpiffeId.get();
        String peer = peerPrincipal.isEmpty() ? "unknown" : peerPrincipal;
        String security = peerPrincipal.isEmpty() ? "none" : "mutual_tls";
        String destService = "unknown";
        String destServiceName = "unknown";
        String destServiceNs = "unknown";
        var outbound = OutboundName.parseClusterName(cluster);
        if (outbound.isPresent()) {
            destService = outbound.get().host();
            String[] parts = destService.split("\\.");
            destServiceName = parts[0];
            destServiceNs = parts.length > 1 ? parts[1] : "unknown";
        } else if (!inbound && !requestedHost.isEmpty()) {
            destService = requestedHost;
            destServiceName = requestedHost;
        } else if (inbound && !requestedHost.isEmpty()) {
            // the service the inbound cluster serves, as its istio metadata names it (Istio's FQDN)
            destService = requestedHost;
            String[] parts = requestedHost.split("\\.");
            destServiceName = parts[0];
            destServiceNs = parts.length > 1 ? parts[1] : node.namespace();
        } else if (inbound) {
            destService = node.app();
            destServiceName = node.app();
            destServiceNs = node.namespace();
        }
        if (PASSTHROUGH_CLUSTERS.contains(cluster)) {
            // Istio names these clusters as the destination service of what they pass or refuse
            destServiceName = cluster;
            if (destService.equals("unknown") || inbound) {
                destService = cluster;
            }
        }
        if (inbound) {
            return Tags.of("reporter", "destination",
                    "source_app", peerNode.app(),
                    "source_version", peerNode.version(),
                    "source_workload", peerNode.workload(),
                    "source_workload_namespace", peerPrincipal.isEmpty() ? peerNode.namespace() : SpiffeIdentity.namespace(peerPrincipal),
                    "source_principal", peer,
                    "source_cluster", peerNode.cluster(),
                    "destination_workload", node.workload(),
                    "destination_workload_namespace", node.namespace(),
                    "destination_principal", own.isEmpty() ? "unknown" : own,
                    "destination_cluster", node.cluster(),
                    "destination_service", destService,
                    "destination_service_name", destServiceName,
                    "destination_service_namespace", destServiceNs,
                    "destination_app", node.app(),
                    "destination_version", node.version(),
                    "connection_security_policy", security);
        }
        return Tags.of("reporter", "source",
                "source_workload", node.workload(),
                "source_workload_namespace", node.namespace(),
                "source_principal", own.isEmpty() ? "unknown" : own,
                "source_cluster", node.cluster(),
                "source_app", node.app(),
                "source_version", node.version(),
                "destination_app", peerNode == NodeIdentity.UNKNOWN ? destServiceName : peerNode.app(),
                "destination_version", peerNode.version(),
                "destination_workload", peerNode.workload(),
                "destination_workload_namespace", peerNode == NodeIdentity.UNKNOWN ? destServiceNs : peerNode.namespace(),
                "destination_principal", peer,
                "destination_cluster", !peerNode.cluster().equals("unknown") ? peerNode.cluster()
                        : destCluster.isEmpty() ? "unknown" : destCluster,
                "destination_service", destService,
                "destination_service_name", destServiceName,
                "destination_service_namespace", destServiceNs,
                "connection_security_policy", "unknown");
    }

    private Tags bounded(Tags tags) {
        if (httpMeters.size() < MAX_SERIES) {
            return tags;
        }
        return Tags.of(tags.stream().map(t -> t.getKey().startsWith("destination_service")
                || t.getKey().endsWith("_principal") ? io.micrometer.core.instrument.Tag.of(t.getKey(), "other") : t)
                .toList());
    }

    /** The access log's logger name, for log configuration. */
    public static String accessLoggerName() {
        return ACCESS.getName();
    }

    static Logger log() {
        return LoggerFactory.getLogger(ProxyTelemetry.class);
    }
}
