package io.isthmus.controller;

import com.hazelcast.core.HazelcastInstance;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.isthmus.controller.admin.AdminServer;
import io.isthmus.controller.ca.BootstrapTokens;
import io.isthmus.controller.ca.CaDirectory;
import io.isthmus.controller.ca.CallerAuthenticator;
import io.isthmus.controller.ca.CertificateService;
import io.isthmus.controller.ca.TokenReviewAuthenticator;
import io.isthmus.controller.config.ConfigDirectory;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.config.KubernetesConfigWatcher;
import io.isthmus.controller.discovery.FileRegistry;
import io.isthmus.controller.discovery.KubernetesClients;
import io.isthmus.controller.federation.ClusterManager;
import io.isthmus.controller.federation.ClusterOwnership;
import io.isthmus.controller.federation.HazelcastMember;
import io.isthmus.controller.federation.HazelcastOwnership;
import io.isthmus.controller.federation.HazelcastRegistry;
import io.isthmus.controller.registry.FederatedRegistry;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.RegistryWriter;
import io.isthmus.controller.translate.MeshTranslator;
import io.isthmus.controller.xds.AdsService;
import io.isthmus.controller.xds.PushScheduler;
import io.isthmus.controller.xds.ServerTls;
import io.isthmus.controller.xds.XdsMetrics;
import io.isthmus.controller.xds.XdsServer;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.pem.Pem;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running controller: discovery of this cluster and of every cluster joined by remote secret
 * into the federated registry, its translation per proxy, the ADS and CA ports, and the monitoring
 * port. {@link #start} brings everything up; {@link #close} takes it down.
 */
public final class Controller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Controller.class);
    private static final Duration CA_DIR_POLL = Duration.ofSeconds(1);
    private static final Duration REGISTRY_FILE_POLL = Duration.ofSeconds(1);

    private final ControllerConfig config;
    private final Vertx vertx;
    private final PrometheusMeterRegistry metrics;
    private final ScheduledExecutorService renewals;
    private HazelcastInstance hazelcast;
    private FederatedRegistry registry;
    private RegistryWriter writer;
    private ClusterOwnership ownership;
    private CaDirectory ca;
    private MeshTranslator translator;
    private AdsService ads;
    private PushScheduler pushes;
    private ConfigRegistry meshConfig;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private XdsServer xds;
    private AdminServer admin;
    private ClusterManager clusters;
    private CompletableFuture<Void> configSynced = CompletableFuture.completedFuture(null);
    private CompletableFuture<Void> ready;
    /** Set last in {@link #startParts}: the parts above are visible to any thread that reads it true. */
    private volatile boolean started;
    private volatile CertifiedKey serving;

    private Controller(ControllerConfig config) {
        this.config = config;
        // An event loop blocked past the limit (2 s) is reported with its stack at once, not only after 5 s: it serves
        // every proxy's xDS stream and certificate requests, so what held it is worth knowing.
        this.vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setWarningExceptionTime(
                io.vertx.core.VertxOptions.DEFAULT_MAX_EVENT_LOOP_EXECUTE_TIME).setWarningExceptionTimeUnit(
                io.vertx.core.VertxOptions.DEFAULT_MAX_EVENT_LOOP_EXECUTE_TIME_UNIT));
        this.metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.renewals = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "serving-cert-renewal");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts a controller.
     *
     * @throws IllegalStateException (or a trust-bundle exception) naming what could not start; every
     *     part already started is closed again
     */
    public static Controller start(ControllerConfig config) {
        Objects.requireNonNull(config, "config");
        Controller c = new Controller(config);
        try {
            c.startParts();
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void startParts() {
        ca = new CaDirectory(config.caDir(), config.trustDomain(), CA_DIR_POLL.toMillis());
        if (config.sharedState() == ControllerConfig.SharedState.HAZELCAST) {
            hazelcast = HazelcastMember.start(config.hazelcastOptions());
            HazelcastRegistry shared = new HazelcastRegistry(hazelcast).start();
            closeables.add(shared);
            registry = shared;
            writer = shared;
            ownership = new HazelcastOwnership(hazelcast);
            closeables.add(ownership);
        } else {
            InMemoryRegistry local = new InMemoryRegistry(Clock.systemUTC());
            registry = local;
            writer = local;
            ownership = ClusterOwnership.standalone();
        }
        meshConfig = new ConfigRegistry(config.systemNamespace());
        translator = new MeshTranslator(registry, config.trustDomain(), ca::bundlePem, meshConfig::current);
        XdsMetrics xdsMetrics = new XdsMetrics(metrics, this::connectedProxies);
        // Until discovery and config have synced, proxies are refused (they keep their cached config
        // and reconnect): serving a registry that is still being listed would take endpoints away.
        ads = new AdsService(translator::resourcesFor, xdsMetrics, Clock.systemUTC()).refuseWhile(this::notReadyReason);
        pushes = new PushScheduler(ads, xdsMetrics, config.pushDebounce());
        closeables.add(registry.addListener(change -> {
            translator.invalidate();
            pushes.changed("registry " + change.hostnames().size() + " services, gateways " + change.gatewayNetworks()
                    + ", clusters " + change.clusters());
        }));
        closeables.add(meshConfig.addListener(cfg -> {
            translator.invalidate();
            pushes.changed("mesh config " + cfg.resources().size() + " resources");
        }));
        ca.onChange(dir -> {
            translator.invalidate();
            pushes.changed("trust bundle");
            renewServingCertificate();
        });
        CallerAuthenticator auth = CallerAuthenticator.none();
        if (config.bootstrapTokens().isPresent()) {
            auth = new BootstrapTokens(config.bootstrapTokens().get(), config.trustDomain());
        }
        KubernetesClient local = null;
        if (config.kubeconfig().isPresent()) {
            try {
                local = KubernetesClients.fromFile(config.kubeconfig().get(), Duration.ofSeconds(10));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read kubeconfig " + config.kubeconfig().get() + ": " + e.getMessage(), e);
            }
        } else if (config.inCluster()) {
            local = KubernetesClients.inCluster(Duration.ofSeconds(10));
        }
        if (local != null) {
            closeables.add(local);
            if (config.tokenReview() == ControllerConfig.TokenReview.ON) {
                // This cluster's tokens first, then those of the joined clusters (a remote cluster's
                // proxies present tokens of their own API server), each through its remote secret.
                auth = auth.or(new TokenReviewAuthenticator(local, config.trustDomain(), List.of()))
                        .or(TokenReviewAuthenticator.anyOf(() -> clusters == null ? List.of() : clusters.remoteClients(),
                                config.trustDomain()));
            }
        }
        CertificateService certificates = new CertificateService(ca::authority, auth, metrics);
        serving = issueServing();
        xds = XdsServer.start(vertx, config.listenAddress(), config.secureXdsPort(), config.plaintextXdsPort(),
                servingTls(), List.of(ads.bindService(), certificates.definition()));
        scheduleRenewal();
        if (local != null) {
            ClusterManager.Options defaults = ClusterManager.Options.of(config.cluster(), config.network());
            ClusterManager.Options options = new ClusterManager.Options(config.cluster(), config.network(),
                    config.systemNamespace(), defaults.remoteTimeout(), defaults.staleAfter(), defaults.tick());
            clusters = new ClusterManager(options, local, writer, ownership, Clock.systemUTC())
                    .remoteWatch(new ClusterManager.RemoteWatch() {
                        @Override
                        public AutoCloseable start(String cluster, KubernetesClient client) {
                            return KubernetesConfigWatcher.credentialsOnly(cluster, client, meshConfig).start();
                        }

                        @Override
                        public void removed(String cluster) {
                            meshConfig.replaceSource(cluster, List.of());
                        }
                    });
            clusters.start();
            KubernetesConfigWatcher watcher = new KubernetesConfigWatcher(config.cluster(), local, meshConfig).start();
            closeables.add(watcher);
            Duration bound = defaults.remoteTimeout().multipliedBy(2);
            configSynced = watcher.synced().copy().completeOnTimeout(null, bound.toMillis(), TimeUnit.MILLISECONDS);
            configSynced.thenRun(() -> {
                if (!watcher.synced().isDone()) {
                    LOG.warn("config not synced in {} [{}]: serving without it; a kind whose CRD is missing stays empty",
                            bound, config.cluster());
                }
            });
        }
        if (config.registryFile().isPresent()) {
            closeables.add(new FileRegistry(config.registryFile().get(), config.registryFileCluster(), config.network(),
                    writer, Clock.systemUTC()).start(REGISTRY_FILE_POLL));
        }
        if (config.configDir().isPresent()) {
            closeables.add(new ConfigDirectory(config.configDir().get(), meshConfig).start(REGISTRY_FILE_POLL));
        }
        admin = new AdminServer(registry, ads, metrics, this::notReadyReason, meshConfig).start(vertx, config.listenAddress(), config.monitoringPort());
        ready = clusters == null ? configSynced : CompletableFuture.allOf(clusters.ready(), configSynced);
        started = true;
        LOG.info("controller started [{}] [network={} xds-tls={} xds-plaintext={} monitoring={} kubeconfig={} registry-file={} config-dir={}]",
                config.cluster(), config.network(), xds.securePort(), xds.plaintextPort(), admin.port(),
                config.inCluster() ? "in-cluster" : config.kubeconfig().map(Object::toString).orElse("none"),
                config.registryFile().map(Object::toString).orElse("none"),
                config.configDir().map(Object::toString).orElse("none"));
    }

    /** The federated registry this controller serves from. */
    public FederatedRegistry registry() {
        return registry;
    }

    /**
     * The write side of the registry, for sources other than Kubernetes discovery (a file registry,
     * tests).
     */
    public RegistryWriter registryWriter() {
        return writer;
    }

    /** The validated Istio configuration in force; also where other sources (files, tests) add resources. */
    public ConfigRegistry meshConfig() {
        return meshConfig;
    }

    /** The bound TLS xDS/CA port. */
    public int secureXdsPort() {
        return xds.securePort();
    }

    /** The bound plaintext xDS port, or -1 when off. */
    public int plaintextXdsPort() {
        return xds.plaintextPort();
    }

    /** The bound monitoring port. */
    public int monitoringPort() {
        return admin.port();
    }

    /** The ADS service (connected proxies and their sync state). */
    public AdsService ads() {
        return ads;
    }

    /** The current trust bundle, PEM. */
    public String trustBundlePem() {
        return ca.bundlePem();
    }

    /** The serving certificate chain of the TLS port, PEM. */
    public String servingCertificatePem() {
        return serving.chainPem();
    }

    /**
     * Completes once discovery and config have synced (each bounded by a timeout, so an unreachable
     * API server never holds it): from then on proxies are served.
     */
    public CompletableFuture<Void> ready() {
        return ready.copy();
    }

    /** Why the controller is not ready, or empty when it is. */
    public Optional<String> notReadyReason() {
        if (!started) {
            return Optional.of("starting");
        }
        if (clusters != null && !clusters.ready().isDone()) {
            return Optional.of("clusters still syncing: " + clusters.clusters());
        }
        if (!configSynced.isDone()) {
            return Optional.of("config still syncing from " + config.cluster());
        }
        return Optional.empty();
    }

    private int connectedProxies() {
        return ads == null ? 0 : ads.connectedCount();
    }

    private CertifiedKey issueServing() {
        Set<String> hosts = new LinkedHashSet<>();
        hosts.add(config.serviceDnsName());
        hosts.add("isthmus-controller." + config.systemNamespace() + ".svc.cluster.local");
        hosts.add("localhost");
        hosts.addAll(config.servingHosts());
        if (!config.listenAddress().equals("0.0.0.0") && !config.listenAddress().equals("::")) {
            hosts.add(config.listenAddress());
        } else {
            hosts.addAll(localAddresses());
        }
        SpiffeId id = SpiffeId.of(config.trustDomain(), config.systemNamespace(), "isthmus-controller");
        return ca.authority().issueServer(id, new ArrayList<>(hosts), config.servingCertTtl());
    }

    private ServerTls servingTls() {
        return new ServerTls(serving.chainPem(), serving.privateKeyPem(), ca.bundlePem());
    }

    private void scheduleRenewal() {
        Duration half = Duration.between(serving.notBefore(), serving.notAfter()).dividedBy(2);
        renewals.schedule(() -> {
            renewServingCertificate();
            scheduleRenewal();
        }, Math.max(1000, half.toMillis()), TimeUnit.MILLISECONDS);
    }

    private void renewServingCertificate() {
        try {
            serving = issueServing();
            if (xds != null) {
                xds.updateTls(servingTls());
            }
            LOG.info("serving certificate renewed [{}] [notAfter={}]", config.cluster(), serving.notAfter());
        } catch (RuntimeException e) {
            LOG.error("serving certificate renewal failed [{}]: {}", config.cluster(), e.getMessage());
        }
    }

    private static List<String> localAddresses() {
        List<String> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof java.net.Inet4Address) {
                        out.add(a.getHostAddress());
                    }
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list interfaces: {}", e.toString());
        }
        return out;
    }

    @Override
    public void close() {
        quietly(admin);
        quietly(clusters);
        quietly(xds);
        quietly(pushes);
        renewals.shutdownNow();
        for (AutoCloseable c : closeables) {
            quietly(c);
        }
        if (hazelcast != null) {
            try {
                hazelcast.shutdown();
            } catch (RuntimeException e) {
                LOG.debug("hazelcast shutdown: {}", e.toString());
            }
        }
        quietly(ca);
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("vert.x close: {}", e.toString());
        }
        metrics.close();
        LOG.info("controller stopped [{}]", config.cluster());
    }

    private static void quietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("close failed: {}", e.toString());
        }
    }
}
