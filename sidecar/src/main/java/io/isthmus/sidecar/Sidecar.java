package io.isthmus.sidecar;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.isthmus.sidecar.admin.AdminServer;
import io.isthmus.sidecar.admin.Readiness;
import io.isthmus.sidecar.bootstrap.BootstrapConfig;
import io.isthmus.sidecar.bootstrap.BootstrapLoader;
import io.isthmus.sidecar.bootstrap.HostPort;
import io.isthmus.sidecar.bootstrap.NodeInfo;
import io.isthmus.sidecar.cert.CaCertificateProvider;
import io.isthmus.sidecar.cert.CaClient;
import io.isthmus.sidecar.cert.CertDirProvider;
import io.isthmus.sidecar.cert.CertificateException;
import io.isthmus.sidecar.cert.CertificateStore;
import io.isthmus.sidecar.cert.TrustAnchors;
import io.isthmus.sidecar.dns.DnsProxy;
import io.isthmus.sidecar.dns.MeshHostnames;
import io.isthmus.sidecar.dns.ResolvConf;
import io.isthmus.sidecar.endpoint.DnsServerResolver;
import io.isthmus.sidecar.endpoint.HostsFile;
import io.isthmus.sidecar.xds.ConfigApplier;
import io.isthmus.sidecar.xds.ControlPlaneChannel;
import io.isthmus.sidecar.xds.ResourceHandler;
import io.isthmus.sidecar.xds.ResourceSink;
import io.isthmus.sidecar.xds.ResourceStore;
import io.isthmus.sidecar.xds.XdsClient;
import io.isthmus.sidecar.xds.XdsClientOptions;
import io.isthmus.sidecar.xds.XdsResourceType;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.rotate.RotationPolicy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.dns.AddressResolverOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One running proxy: the assembly of bootstrap, certificates, data plane, xDS client, admin,
 * health, metrics and DNS proxy. {@link #start(SidecarConfig)} returns as soon as everything is
 * started; the proxy becomes ready ({@code :15021/healthz/ready} 200, {@link #ready()}) once it
 * has a certificate and its first complete config. {@link #close()} drains and stops it.
 *
 * <p>Start order: bootstrap → Vert.x → certificate source (cert dir, or CA client whose first
 * certificate is requested in the background) → admin/health/metrics servers → data plane →
 * bootstrap {@code static_resources} → (first certificate) → ADS stream → DNS proxy.
 */
public final class Sidecar implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sidecar.class);
    /** The JVM property naming a hosts file the JDK resolves from instead of DNS (the local runner's loopback pods). */
    static final String JDK_HOSTS_FILE = "jdk.net.hosts.file";
    /**
     * Event loops of a sidecar: two, whatever the node's core count, as Istio runs its sidecars
     * ({@code concurrency: 2}); Vert.x's default of two per core only adds threads and buffer caches.
     * A gateway ({@code --mode router}) gets one per core, at least two. The bootstrap's
     * {@code node.metadata.PROXY_CONFIG.concurrency} (Istio's {@code proxy.istio.io/config}) overrides both.
     */
    public static final int EVENT_LOOPS = 2;
    /** The classpath resource listing the JVM options a proxy runs with, one per line ({@code #} comments). */
    public static final String JVM_OPTIONS_RESOURCE = "/io/isthmus/sidecar/jvm.options";

    private final SidecarConfig config;
    private final BootstrapConfig bootstrap;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Readiness readiness = new Readiness();
    private final CompletableFuture<Void> readyFuture = new CompletableFuture<>();
    private Vertx vertx;
    private CertificateStore certificates;
    private ProxyEngine engine;
    private ConfigApplier applier;
    private XdsClient xds;
    private AdminServer admin;
    private DnsProxy dns;
    /** Where the DNS proxy sends names outside the mesh (empty: it answers them NXDOMAIN, or it does not run). */
    private Optional<InetSocketAddress> dnsUpstream = Optional.empty();
    /** The proxy's own resolver while it runs a DNS proxy; empty: the JDK's. */
    private Optional<DnsServerResolver> ownResolver = Optional.empty();
    private volatile boolean closed;

    private Sidecar(SidecarConfig config, BootstrapConfig bootstrap) {
        this.config = config;
        this.bootstrap = bootstrap;
    }

    /** Starts a proxy with this module's data plane. */
    public static Sidecar start(SidecarConfig config) throws Exception {
        return start(config, DataPlaneFactory.DEFAULT);
    }

    /**
     * Starts a proxy with the given data plane.
     *
     * @throws io.isthmus.sidecar.bootstrap.BootstrapException  for an unusable bootstrap
     * @throws CertificateException                           for unusable certificate files
     * @throws io.isthmus.sidecar.xds.XdsResourceException    when the data plane rejects the static resources
     */
    public static Sidecar start(SidecarConfig config, DataPlaneFactory factory) throws Exception {
        BootstrapConfig bootstrap = BootstrapLoader.load(config.bootstrap());
        Sidecar s = new Sidecar(config, bootstrap);
        try {
            s.doStart(factory);
        } catch (Exception | Error e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void doStart(DataPlaneFactory factory) throws Exception {
        String ctx = bootstrap.node().logContext();
        int loops = eventLoops(config.mode(), bootstrap.node());
        LOG.info("Proxy starting {} node={} mode={} bootstrap={} eventLoops={}", ctx, bootstrap.node().id(), config.mode(),
                config.bootstrap(), loops);
        VertxOptions vertxOptions = new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops);
        resolveOwnNamesPastTheDnsProxy(ctx, vertxOptions);
        vertx = Vertx.vertx(vertxOptions);
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

        CaCertificateProvider caProvider = null;
        if (config.certDir().isPresent()) {
            CertDirProvider p = CertDirProvider.start(config.certDir().get(), Duration.ofSeconds(2));
            closeables.add(p);
            certificates = p.store();
        } else {
            String pem = readFile(config.rootCert().orElseThrow(), "--root-cert");
            certificates = new CertificateStore(TrustAnchors.fromPem(pem, "file:" + config.rootCert().get()));
            caProvider = caProvider(certificates);
            closeables.add(caProvider);
        }
        certificates.onCertificate(c -> certificateChanged());
        certificateChanged();
        io.micrometer.core.instrument.Gauge.builder("isthmus_certificate_expiry_seconds", certificates,
                        c -> c.certificate().map(w -> (double) java.time.Duration.between(java.time.Instant.now(),
                                w.notAfter()).toSeconds()).orElse(Double.NaN))
                .description("Seconds until the workload certificate expires").register(meters);

        ResourceStore store = new ResourceStore();
        engine = factory.start(new DataPlaneContext(vertx, bootstrap.node(), config.mode(), certificates, meters,
                config.drainTime()));
        if (ownResolver.isPresent() && engine instanceof DataPlane dp) {
            dp.resolveHostsWith(ownResolver.get());
        }
        MeshHostnames hostnames = new MeshHostnames();
        applier = new ConfigApplier(withHostnames(engine, hostnames), certificates.rootCaHandler(), store,
                Clock.systemUTC());

        admin = new AdminServer(vertx, new AdminServer.Sources(bootstrap.node(), store, engine, certificates,
                readiness, meters, () -> Optional.ofNullable(xds).map(XdsClient::status)));
        admin.start(config.adminAddress(), config.adminPort(), config.healthAddress(), config.healthPort(),
                config.metricsPort()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        applier.applyStatic(bootstrap.staticClusters(), bootstrap.staticListeners(), bootstrap.staticSecrets());

        if (config.dnsAddress().isPresent()) {
            dns = DnsProxy.start(vertx, config.dnsAddress().get(), hostnames, dnsUpstream,
                            DnsProxy.answerAddress(bootstrap.node().string(io.isthmus.mesh.ProxyMetadata.OUTBOUND_ADDRESS)),
                            DnsProxy.capturesTransparently(bootstrap.node().string(io.isthmus.mesh.ProxyMetadata.INTERCEPTION_MODE)),
                            config.dnsNoUpstream())
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }

        if (bootstrap.controlPlane().isPresent()) {
            var cp = bootstrap.controlPlane().get();
            xds = new XdsClient(bootstrap.node(), ControlPlaneChannel.open(cp.address(),
                    cp.tls() ? Optional.of(certificates) : Optional.empty(), cp.serverName(), ownResolver.map(r -> r)), applier,
                    XdsClientOptions.DEFAULTS, new SecureRandom(), meters);
            xds.initialConfig().thenRun(() -> configReady());
            if (caProvider != null && cp.tls()) {
                caProvider.start().thenRun(xds::start);
            } else {
                if (caProvider != null) {
                    caProvider.start();
                }
                xds.start();
            }
        } else {
            if (caProvider != null) {
                caProvider.start();
            }
            configReady();
        }
        LOG.info("Proxy started {} admin={} health={} metrics={} dns={}", ctx, admin.adminPort(), admin.healthPort(),
                admin.metricsPort(), dns == null ? "off" : dns.localAddress());
    }

    /**
     * The Vert.x options of a sidecar: native transport when available and {@link #EVENT_LOOPS} event
     * loops (worker threads are made only when used).
     */
    public static VertxOptions vertxOptions() {
        return vertxOptions(SidecarConfig.Mode.SIDECAR);
    }

    /** The Vert.x options of a proxy in this mode: {@link #EVENT_LOOPS} for a sidecar, one per core for a gateway. */
    public static VertxOptions vertxOptions(SidecarConfig.Mode mode) {
        return new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(defaultEventLoops(mode));
    }

    /**
     * The event loops (and servers per listener) of a proxy: the node's {@code PROXY_CONFIG.concurrency} when set
     * (0 = one per core), else {@link #EVENT_LOOPS} for a sidecar and one per core, at least two, for a gateway.
     *
     * @throws IllegalArgumentException when the node's concurrency is not a valid count, naming the field
     */
    public static int eventLoops(SidecarConfig.Mode mode, NodeInfo node) {
        java.util.OptionalInt c = node.concurrency();
        if (c.isEmpty()) {
            return defaultEventLoops(mode);
        }
        return c.getAsInt() == 0 ? Runtime.getRuntime().availableProcessors() : c.getAsInt();
    }

    private static int defaultEventLoops(SidecarConfig.Mode mode) {
        return mode == SidecarConfig.Mode.ROUTER ? Math.max(EVENT_LOOPS, Runtime.getRuntime().availableProcessors()) : EVENT_LOOPS;
    }

    /**
     * The JVM options a proxy process runs with ({@value #JVM_OPTIONS_RESOURCE}), the list the
     * {@code isthmus} launcher gives {@code isthmus proxy}; for launchers that start proxy JVMs
     * themselves.
     */
    public static List<String> jvmOptions() {
        try (var in = Sidecar.class.getResourceAsStream(JVM_OPTIONS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + JVM_OPTIONS_RESOURCE);
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + JVM_OPTIONS_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /**
     * With a DNS proxy, which the pod's {@code resolv.conf} points at, the proxy's own lookups (the
     * controller's name for ADS and the CA, STRICT_DNS and LOGICAL_DNS clusters, Vert.x's resolver)
     * must not go through it, as Istio's agent's do not: before any xDS it would answer the
     * controller's name NXDOMAIN, after it a mesh hostname with the outbound address. They go to the
     * DNS proxy's upstream ({@code --dns-upstream}, else the first {@code nameserver} of
     * {@code /etc/resolv.conf} that is not the DNS proxy) after the hosts file, with resolv.conf's search
     * list and ndots. Without a DNS proxy nothing changes (the JDK resolver), nor when the JVM resolves
     * from a hosts file of its own ({@value #JDK_HOSTS_FILE}), which asks no DNS server.
     */
    private void resolveOwnNamesPastTheDnsProxy(String ctx, VertxOptions vertxOptions) {
        if (config.dnsAddress().isEmpty()) {
            return;
        }
        InetSocketAddress bind = config.dnsAddress().get();
        ResolvConf resolv = ResolvConf.system();
        dnsUpstream = config.dnsNoUpstream() ? Optional.empty() : config.dnsUpstream().isPresent()
                ? config.dnsUpstream().filter(u -> !ResolvConf.isOwnAddress(u, bind))
                : resolv.upstreamFor(bind);
        if (!ownLookupsPastTheDnsProxy(config.dnsAddress(), System.getProperty(JDK_HOSTS_FILE))) {
            // the JDK resolves from that file only and never asks a DNS server (nor the DNS proxy): keep it
            LOG.info("Proxy resolves its own names from {} only ({}) {}", System.getProperty(JDK_HOSTS_FILE),
                    JDK_HOSTS_FILE, ctx);
            return;
        }
        DnsServerResolver r = new DnsServerResolver(dnsUpstream, resolv.search(), resolv.ndots(),
                new HostsFile(HostsFile.SYSTEM_FILE));
        closeables.add(r);
        ownResolver = Optional.of(r);
        dnsUpstream.ifPresent(u -> vertxOptions.setAddressResolverOptions(new AddressResolverOptions()
                .setServers(List.of(u.getAddress().getHostAddress() + ":" + u.getPort()))
                .setSearchDomains(resolv.search()).setNdots(resolv.ndots())
                .setCacheMaxTimeToLive(DnsServerResolver.MAX_TTL_SECONDS)));
        LOG.info("Proxy resolves its own names past its DNS proxy {} upstream={} search={} ndots={}", ctx,
                dnsUpstream.map(Object::toString).orElse("none (hosts file only)"), resolv.search(), resolv.ndots());
    }

    /**
     * Whether the proxy's own lookups need a resolver of their own past its DNS proxy: only with a DNS
     * proxy, and not when the JVM resolves from a hosts file of its own ({@code hostsFileProperty}, the
     * value of {@value #JDK_HOSTS_FILE}; null when unset).
     */
    static boolean ownLookupsPastTheDnsProxy(Optional<InetSocketAddress> dnsAddress, String hostsFileProperty) {
        return dnsAddress.isPresent() && hostsFileProperty == null;
    }

    private CaCertificateProvider caProvider(CertificateStore store) {
        HostPort caAddress = config.caAddress().map(HostPort::parse)
                .or(() -> bootstrap.controlPlane().map(BootstrapConfig.ControlPlaneAddress::address))
                .orElseThrow(() -> new CertificateException("no CA: give --ca-address, --cert-dir, or a bootstrap "
                        + "with dynamic_resources.ads_config and an xds-grpc cluster"));
        String serverName = bootstrap.controlPlane().map(BootstrapConfig.ControlPlaneAddress::serverName)
                .orElse(BootstrapLoader.DEFAULT_CONTROLLER_NAME);
        var node = bootstrap.node();
        if (node.namespace().isBlank() || node.serviceAccount().isBlank()) {
            throw new CertificateException("bootstrap " + bootstrap.source() + ": field node.metadata."
                    + (node.namespace().isBlank() ? "NAMESPACE" : "SERVICE_ACCOUNT")
                    + ": needed for the certificate's SPIFFE ID");
        }
        SpiffeId id = SpiffeId.of(SpiffeId.DEFAULT_TRUST_DOMAIN, node.namespace(), node.serviceAccount());
        var tokenFile = config.tokenFile();
        CaClient ca = new CaClient(ControlPlaneChannel.open(caAddress, Optional.of(store), serverName, ownResolver.map(r -> r)),
                () -> tokenFile.map(f -> readFile(f, "--token-file").strip()).orElse(""), Duration.ofSeconds(10));
        return new CaCertificateProvider(id, ca, config.certTtl(), store, RotationPolicy.defaults());
    }

    private static String readFile(java.nio.file.Path f, String flag) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new CertificateException(flag + " " + f + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Wraps the data plane's route and listener handlers so the DNS proxy learns the mesh hostnames from RDS
     * (HTTP services) and LDS (opaque TCP services).
     */
    private static ResourceSink withHostnames(ResourceSink sink, MeshHostnames hostnames) {
        return new ResourceSink() {
            @Override
            public ResourceHandler<Listener> listeners() {
                ResourceHandler<Listener> h = sink.listeners();
                return (resources, version) -> {
                    h.apply(resources, version);
                    hostnames.updateListeners(resources.values());
                };
            }

            @Override
            public ResourceHandler<RouteConfiguration> routes() {
                ResourceHandler<RouteConfiguration> h = sink.routes();
                return (resources, version) -> {
                    h.apply(resources, version);
                    hostnames.update(resources.values());
                };
            }

            @Override
            public ResourceHandler<Cluster> clusters() {
                return sink.clusters();
            }

            @Override
            public ResourceHandler<ClusterLoadAssignment> endpoints() {
                return sink.endpoints();
            }

            @Override
            public ResourceHandler<io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret> secrets() {
                return sink.secrets();
            }
        };
    }

    private void certificateChanged() {
        boolean has = certificates.certificate().isPresent();
        readiness.set(Readiness.CERTIFICATE, has);
        checkReady();
    }

    private void configReady() {
        readiness.set(Readiness.CONFIG, true);
        checkReady();
    }

    private void checkReady() {
        if (readiness.ready() && !readyFuture.isDone()) {
            LOG.info("Proxy ready {}", bootstrap.node().logContext());
            readyFuture.complete(null);
        }
    }

    /** Whether the proxy is ready for traffic. */
    public boolean ready() {
        return readiness.ready();
    }

    /** Completes when the proxy first becomes ready. */
    public CompletableFuture<Void> whenReady() {
        return readyFuture;
    }

    /** The loaded bootstrap. */
    public BootstrapConfig bootstrap() {
        return bootstrap;
    }

    /** The certificate source shared with the data plane. */
    public CertificateStore certificates() {
        return certificates;
    }

    /** The xDS resources in force. */
    public Map<XdsResourceType, ResourceStore.TypeState> resources() {
        return applier == null ? Map.of() : applier.store().all();
    }

    /** Whether the ADS stream is up (false without a control plane). */
    public boolean controlPlaneConnected() {
        return xds != null && xds.connected();
    }

    /** The data plane. */
    public ProxyEngine engine() {
        return engine;
    }

    /** The Vert.x instance the proxy runs on. */
    public Vertx vertx() {
        return vertx;
    }

    /** The bound admin port. */
    public int adminPort() {
        return admin == null ? -1 : admin.adminPort();
    }

    /** The bound health port. */
    public int healthPort() {
        return admin == null ? -1 : admin.healthPort();
    }

    /** The bound metrics port. */
    public int metricsPort() {
        return admin == null ? -1 : admin.metricsPort();
    }

    /** Where the DNS proxy listens, if it runs. */
    public Optional<java.net.InetSocketAddress> dnsAddress() {
        return dns == null ? Optional.empty() : Optional.of(dns.localAddress());
    }

    /**
     * Stops the proxy: not ready first, then the ADS stream, the DNS proxy, the data plane (which
     * drains for at most the configured drain time), the certificate source and the servers.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        readiness.set(Readiness.NOT_DRAINING, false);
        LOG.info("Proxy stopping {}", bootstrap.node().logContext());
        quietly(xds);
        quietly(dns);
        quietly(engine);
        closeables.forEach(Sidecar::quietly);
        quietly(admin);
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debug("Vert.x close: {}", e.toString());
            }
        }
        LOG.info("Proxy stopped {}", bootstrap.node().logContext());
    }

    private static void quietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("Close failed [{}]: {}", c.getClass().getSimpleName(), e.toString());
        }
    }
}
