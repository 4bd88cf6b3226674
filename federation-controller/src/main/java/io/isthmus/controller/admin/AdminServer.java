package io.isthmus.controller.admin;

import io.isthmus.controller.config.ConfigException;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.FederatedRegistry;
import io.isthmus.controller.translate.ProxyView;
import io.isthmus.controller.xds.AdsService;
import io.isthmus.controller.xds.ProxyStream;
import io.isthmus.controller.xds.XdsType;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's monitoring port: {@code /metrics} (Prometheus), {@code /debug/registryz},
 * {@code /debug/syncz}, {@code /debug/clusterz}, {@code /debug/configz} (rejected Istio config with
 * field and reason), {@code /debug/config_dump?proxy=&type=}, {@code /healthz} and {@code /readyz}.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    private final FederatedRegistry registry;
    private final ConfigRegistry meshConfig;
    private final AdsService ads;
    private final PrometheusMeterRegistry metrics;
    private final Supplier<Optional<String>> notReady;
    private final MultiGauge clusterEndpoints;
    private final MultiGauge clusterState;
    private HttpServer server;

    /**
     * Creates the server; {@link #start} binds it.
     *
     * @param registry the federated registry
     * @param ads the ADS service whose proxies are reported
     * @param metrics the registry scraped at {@code /metrics}
     * @param notReady why the controller is not ready, or empty when it is
     * @param meshConfig the Istio config in force, whose rejections {@code /debug/configz} reports
     */
    public AdminServer(FederatedRegistry registry, AdsService ads, PrometheusMeterRegistry metrics,
            Supplier<Optional<String>> notReady, ConfigRegistry meshConfig) {
        this.meshConfig = Objects.requireNonNull(meshConfig, "meshConfig");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.ads = Objects.requireNonNull(ads, "ads");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.notReady = Objects.requireNonNull(notReady, "notReady");
        this.clusterEndpoints = MultiGauge.builder("isthmus_cluster_endpoints")
                .description("Endpoints each federated cluster contributes").register(metrics);
        this.clusterState = MultiGauge.builder("isthmus_cluster_sync_state")
                .description("1 for the current sync state of each federated cluster").register(metrics);
    }

    /** Binds the port; returns this. */
    public AdminServer start(Vertx vertx, String address, int port) {
        Future<HttpServer> f = vertx.createHttpServer(new HttpServerOptions().setHost(address).setPort(port))
                .requestHandler(this::handle).listen();
        try {
            server = f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot bind monitoring port " + address + ":" + port + ": " + e.getMessage(), e);
        }
        LOG.info("monitoring serving [{}:{}]", address, server.actualPort());
        return this;
    }

    /** The bound port. */
    public int port() {
        return server.actualPort();
    }

    private void handle(HttpServerRequest req) {
        try {
            switch (req.path()) {
                case "/metrics", "/stats/prometheus" -> {
                    refreshClusterGauges();
                    req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape());
                }
                case "/debug/registryz" -> json(req, 200, DebugJson.registry(registry).encodePrettily());
                case "/debug/clusterz" -> json(req, 200, DebugJson.clusters(registry.clusters()).encodePrettily());
                case "/debug/syncz" -> json(req, 200, DebugJson.sync(ads.streams()).encodePrettily());
                case "/debug/config_dump" -> configDump(req);
                case "/debug/configz" -> json(req, 200, configStatus().encodePrettily());
                case "/healthz" -> json(req, 200, new JsonObject().put("status", "ok").encode());
                case "/readyz" -> {
                    Optional<String> why = notReady.get();
                    json(req, why.isEmpty() ? 200 : 503, new JsonObject().put("ready", why.isEmpty())
                            .put("reason", why.orElse("")).put("proxies", ads.connectedCount()).encode());
                }
                default -> json(req, 404, new JsonObject().put("error", "no such endpoint: " + req.path())
                        .put("endpoints", List.of("/metrics", "/debug/registryz", "/debug/syncz", "/debug/clusterz",
                                "/debug/configz", "/debug/config_dump?proxy=<id>&type=<clusters|endpoints|listeners|routes|secrets>", "/healthz",
                                "/readyz")).encode());
            }
        } catch (RuntimeException e) {
            LOG.warn("monitoring request failed [{}]: {}", req.path(), e.toString());
            json(req, 500, new JsonObject().put("error", e.toString()).encode());
        }
    }

    /** The Istio config status: every rejected resource with the field and reason, and cross-resource warnings. */
    private JsonObject configStatus() {
        JsonArray rejected = new JsonArray();
        for (ConfigException e : meshConfig.rejected()) {
            rejected.add(new JsonObject().put("kind", e.resource().kind()).put("namespace", e.resource().namespace())
                    .put("name", e.resource().name()).put("field", e.field()).put("reason", e.reason()));
            if (!e.origin().isEmpty()) {
                rejected.getJsonObject(rejected.size() - 1).put("origin", e.origin());
            }
        }
        return new JsonObject().put("rejected", rejected).put("rejectionsTotal", meshConfig.rejectionsTotal())
                .put("warnings", new JsonArray(meshConfig.warnings()));
    }

    private void configDump(HttpServerRequest req) {
        String proxy = req.getParam("proxy", "");
        String typeName = req.getParam("type", "clusters").toLowerCase(Locale.ROOT);
        XdsType type = switch (typeName) {
            case "clusters", "cluster", "cds" -> XdsType.CLUSTER;
            case "endpoints", "endpoint", "eds" -> XdsType.ENDPOINT;
            case "listeners", "listener", "lds" -> XdsType.LISTENER;
            case "routes", "route", "rds" -> XdsType.ROUTE;
            case "secrets", "secret", "sds" -> XdsType.SECRET;
            default -> null;
        };
        if (type == null) {
            json(req, 400, new JsonObject().put("error", "type must be clusters, endpoints, listeners, routes or secrets: " + typeName).encode());
            return;
        }
        List<ProxyStream> matches = new ArrayList<>();
        for (ProxyStream s : ads.streams()) {
            ProxyView v = s.view().orElse(null);
            if (v != null && (v.nodeId().equals(proxy) || v.podName().equals(proxy)
                    || (v.podName() + "." + v.namespace()).equals(proxy) || v.nodeId().contains("~" + proxy + "~"))) {
                matches.add(s);
            }
        }
        if (matches.isEmpty()) {
            json(req, 404, new JsonObject().put("error", "no connected proxy '" + proxy + "' (see /debug/syncz)").encode());
            return;
        }
        json(req, 200, DebugJson.config(matches.get(0), type).encodePrettily());
    }

    private void refreshClusterGauges() {
        List<ClusterStatus> all = registry.clusters();
        List<MultiGauge.Row<?>> endpoints = new ArrayList<>();
        List<MultiGauge.Row<?>> states = new ArrayList<>();
        for (ClusterStatus s : all) {
            endpoints.add(MultiGauge.Row.of(Tags.of("cluster", s.name()), s.endpoints()));
            for (ClusterStatus.State st : ClusterStatus.State.values()) {
                states.add(MultiGauge.Row.of(Tags.of("cluster", s.name(), "state", st.name()), st == s.state() ? 1 : 0));
            }
        }
        clusterEndpoints.register(endpoints, true);
        clusterState.register(states, true);
    }

    private static void json(HttpServerRequest req, int status, String body) {
        req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
