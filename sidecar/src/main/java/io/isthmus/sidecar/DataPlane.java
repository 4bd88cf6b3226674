package io.isthmus.sidecar;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.isthmus.mesh.Locality;
import io.isthmus.sidecar.admin.EndpointStatus;
import io.isthmus.sidecar.bootstrap.NodeInfo;
import io.isthmus.sidecar.cert.CertificateSource;
import io.isthmus.sidecar.cluster.ClusterManager;
import io.isthmus.sidecar.cluster.UpstreamCluster;
import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.HostResolver;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.filter.ListenerContext;
import io.isthmus.sidecar.filter.UpstreamDirectory;
import io.isthmus.sidecar.listener.ListenerConfig;
import io.isthmus.sidecar.listener.ListenerManager;
import io.isthmus.sidecar.route.RouteTable;
import io.isthmus.sidecar.route.RouteTranslator;
import io.isthmus.sidecar.telemetry.NodeIdentity;
import io.isthmus.sidecar.telemetry.PeerMetadata;
import io.isthmus.sidecar.telemetry.ProxyTelemetry;
import io.isthmus.sidecar.tls.MeshTls;
import io.isthmus.sidecar.tls.NamedSecrets;
import io.isthmus.sidecar.tls.SecretLookup;
import io.isthmus.sidecar.tls.TlsMaterial;
import io.isthmus.sidecar.tls.TlsMaterialSource;
import io.isthmus.sidecar.xds.ResourceHandler;
import io.isthmus.sidecar.xds.XdsResourceException;
import io.isthmus.trust.tls.SwappableKeyManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane of the proxy: applies Listener, RouteConfiguration, Cluster and
 * ClusterLoadAssignment resources (each validated completely, translated to immutable runtime
 * records and swapped in atomically, or rejected with the resource and field named), serves the
 * listeners, and reports endpoint state for the admin {@code /clusters}.
 *
 * <p>Start it with {@link #start(DataPlaneContext)} (what {@link Sidecar} does) or
 * {@link #start(Vertx, Options)}; feed it through {@link #listeners()}, {@link #routes()},
 * {@link #clusters()} and {@link #endpoints()}; stop it with {@link #close()}.
 */
public final class DataPlane implements ProxyEngine, UpstreamDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);
    /** Randomness safe to share across event loops. */
    private static final RandomGenerator THREAD_LOCAL_RANDOM = () -> ThreadLocalRandom.current().nextLong();

    private final Vertx vertx;
    private final Options options;
    private final ClusterManager clusterManager;
    private final ListenerManager listenerManager;
    private volatile Map<String, RouteTable> routeTables = Map.of();
    /** SDS secrets other than {@code default} and {@code ROOTCA}: gateway credentials, for listeners and clusters. */
    private final NamedSecrets namedSecrets = new NamedSecrets();
    private volatile OwnId ownId;

    /**
     * How to run the data plane.
     *
     * @param tls the workload certificate and trust bundle, read at every handshake
     * @param telemetry metrics and access log
     * @param eventLoops servers per listener (one per event loop); default the number of cores
     * @param maxBufferedBody largest request body buffered for retries (bytes); default 1 MiB
     * @param drainTime how long removed clusters and listeners serve requests in flight
     * @param nanoClock monotonic time (settable for tests)
     * @param random randomness of load balancing and routing (settable for tests)
     */
    public record Options(TlsMaterialSource tls, ProxyTelemetry telemetry, int eventLoops, int maxBufferedBody,
                          Duration drainTime, LongSupplier nanoClock, RandomGenerator random) {
        public Options {
            Objects.requireNonNull(tls, "tls");
            Objects.requireNonNull(telemetry, "telemetry");
            Objects.requireNonNull(drainTime, "drainTime");
            Objects.requireNonNull(nanoClock, "nanoClock");
            Objects.requireNonNull(random, "random");
            if (eventLoops < 1 || maxBufferedBody < 0) {
                throw new IllegalArgumentException("eventLoops must be >= 1 and maxBufferedBody >= 0");
            }
        }

        /** Defaults around a certificate source and telemetry. */
        public static Options of(TlsMaterialSource tls, ProxyTelemetry telemetry) {
            return new Options(tls, telemetry, Runtime.getRuntime().availableProcessors(), 1 << 20,
                    Duration.ofSeconds(5), System::nanoTime, THREAD_LOCAL_RANDOM);
        }
    }

    private DataPlane(Vertx vertx, Options options) {
        this.vertx = vertx;
        this.options = options;
        MeshTls tls = new MeshTls(options.tls());
        this.clusterManager = new ClusterManager(vertx, tls, options.nanoClock(), options.random(), options.drainTime(),
                options.telemetry().registry());
        this.clusterManager.useSecrets(SecretLookup.of(namedSecrets::certificate, namedSecrets::trustedCa));
        this.listenerManager = new ListenerManager(vertx, tls, namedSecrets, options.nanoClock(), this::context,
                options.eventLoops(), options.drainTime());
    }

    /** Starts a data plane with explicit options; it serves nothing until resources arrive. */
    public static DataPlane start(Vertx vertx, Options options) {
        return new DataPlane(Objects.requireNonNull(vertx, "vertx"), Objects.requireNonNull(options, "options"));
    }

    /** Starts the data plane for {@link Sidecar}: certificates and metrics from the context. */
    public static DataPlane start(DataPlaneContext context) {
        TlsMaterialSource tls = fromCertificates(context.certificates());
        ProxyTelemetry telemetry = new ProxyTelemetry(context.meters(), identity(context.node()),
                () -> context.certificates().certificate().map(c -> c.spiffeId()).orElse(""),
                PeerMetadata.of(context.node().id(), context.node().metadata()));
        Options defaults = Options.of(tls, telemetry);
        // one server per listener and event loop, as many as the proxy's Vert.x has
        return start(context.vertx(), new Options(tls, telemetry, Sidecar.eventLoops(context.mode(), context.node()),
                defaults.maxBufferedBody(),
                context.drainTime(), defaults.nanoClock(), defaults.random()));
    }

    /** Reads the certificate and trust bundle of a {@link CertificateSource} at each handshake. */
    public static TlsMaterialSource fromCertificates(CertificateSource certificates) {
        return new TlsMaterialSource() {
            @Override
            public Optional<TlsMaterial> current() {
                return certificates.certificate()
                        .map(c -> new TlsMaterial(c.key(), c.chain(), certificates.trustAnchors().roots()));
            }

            @Override
            public SwappableKeyManager keyManager() {
                return certificates.keyManager();
            }
        };
    }

    private static NodeIdentity identity(NodeInfo node) {
        return PeerMetadata.identity(node.metadata(), node.serviceCluster());
    }

    private ListenerContext context(ListenerConfig config) {
        return new ListenerContext(config.name(), config.direction(), vertx, this, options.telemetry(),
                this::ownSpiffeId, options.random(), options.maxBufferedBody());
    }

    /** This proxy's SPIFFE ID (read per inbound request), parsed from the certificate only when that changes. */
    private String ownSpiffeId() {
        Optional<TlsMaterial> m = options.tls().current();
        if (m.isEmpty()) {
            return "";
        }
        OwnId last = ownId;
        if (last != null && last.leaf() == m.get().leaf()) {
            return last.id();
        }
        OwnId next = new OwnId(m.get().leaf(), m.get().spiffeId());
        ownId = next;
        return next.id();
    }

    /** A certificate and the SPIFFE ID it names. */
    private record OwnId(java.security.cert.X509Certificate leaf, String id) {
    }

    // ---- resource handlers ----

    @Override
    public ResourceHandler<Listener> listeners() {
        return (resources, version) -> {
            guard(() -> listenerManager.apply(resources));
            LOG.info("listeners applied [version={} count={}]", version, resources.size());
        };
    }

    @Override
    public ResourceHandler<RouteConfiguration> routes() {
        return (resources, version) -> {
            guard(() -> {
                Map<String, RouteTable> next = new HashMap<>();
                for (var e : resources.entrySet()) {
                    RouteTable t = RouteTranslator.translate(e.getValue());
                    next.put(e.getKey(), t);
                }
                routeTables = Map.copyOf(next);
            });
            LOG.info("routes applied [version={} count={}]", version, resources.size());
        };
    }

    @Override
    public ResourceHandler<Secret> secrets() {
        return (resources, version) -> {
            guard(() -> namedSecrets.apply(resources));
            LOG.info("secrets applied [version={} count={}]", version, resources.size());
        };
    }

    /** The named SDS secrets in force (gateway credentials). */
    public NamedSecrets namedSecrets() {
        return namedSecrets;
    }

    @Override
    public ResourceHandler<Cluster> clusters() {
        return (resources, version) -> guard(() -> clusterManager.applyClusters(resources));
    }

    @Override
    public ResourceHandler<ClusterLoadAssignment> endpoints() {
        return (resources, version) -> guard(() -> clusterManager.applyEndpoints(resources));
    }

    private interface Apply {
        void run() throws InvalidResourceException;
    }

    private static void guard(Apply apply) {
        try {
            apply.run();
        } catch (InvalidResourceException e) {
            throw new XdsResourceException(e.typeUrl(), e.resourceName(), e.field(), e.reason(), e);
        }
    }

    // ---- lookups for the filters ----

    @Override
    public Optional<RouteTable> routeTable(String name) {
        return Optional.ofNullable(routeTables.get(name));
    }

    @Override
    public Optional<UpstreamCluster> cluster(String name) {
        return clusterManager.cluster(name);
    }

    /** Resolves the hosts of DNS clusters created from now on with {@code resolver} (default: the system resolver). */
    public void resolveHostsWith(HostResolver resolver) {
        clusterManager.useResolver(resolver);
    }

    /** Reads the named SDS secrets of upstream TLS origination from {@code secrets} (default: none). */
    public void upstreamSecrets(SecretLookup secrets) {
        clusterManager.useSecrets(secrets);
    }

    /** The listeners bound now. */
    public List<ListenerConfig> activeListeners() {
        return listenerManager.active();
    }

    /** The telemetry (metrics registry and access log). */
    public ProxyTelemetry telemetry() {
        return options.telemetry();
    }

    @Override
    public List<EndpointStatus> endpointStatus() {
        List<EndpointStatus> out = new ArrayList<>();
        long now = options.nanoClock().getAsLong();
        for (UpstreamCluster c : clusterManager.clusters().values()) {
            for (Endpoint e : c.endpoints()) {
                out.add(new EndpointStatus(c.name(), e.address().host(), e.address().port(),
                        new Locality(e.locality().region(), e.locality().zone(), e.locality().subZone()),
                        e.priority(), e.weight(), e.healthy() ? "HEALTHY" : "UNHEALTHY", e.state().ejected(now),
                        e.state().activeRequests(), c.tlsFor(e).map(t -> t.origination().isPresent()
                                ? EndpointStatus.TLS : EndpointStatus.MESH_MTLS).orElse(EndpointStatus.PLAINTEXT)));
            }
        }
        return out;
    }

    /**
     * Stops the data plane: the inbound listeners drain first (each connection up to the drain time) while the
     * outbound ones still serve the app, then the outbound listeners drain, then the clusters close.
     */
    @Override
    public void close() {
        try {
            listenerManager.close().toCompletionStage().toCompletableFuture()
                    .get(2 * Math.max(1, options.drainTime().toSeconds()) + 5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("listeners did not close cleanly: {}", e.toString());
        }
        clusterManager.close();
    }
}
