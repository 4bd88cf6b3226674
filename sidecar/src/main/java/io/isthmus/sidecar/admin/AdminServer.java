package io.isthmus.sidecar.admin;

import io.isthmus.sidecar.bootstrap.NodeInfo;
import io.isthmus.sidecar.cert.CertificateSource;
import io.isthmus.sidecar.xds.ResourceStore;
import io.isthmus.sidecar.xds.XdsStatus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The proxy's operator HTTP endpoints, one small Vert.x server each:
 * <ul>
 *   <li>admin (loopback only, 15000): {@code /config_dump}, {@code /clusters} (text, or JSON with
 *   {@code ?format=json}), {@code /logging} (GET lists, POST {@code ?level=debug} or
 *   {@code ?<logger-prefix>=debug} changes), {@code /ready}, {@code /stats/prometheus};</li>
 *   <li>health (15021): {@code /healthz/ready} 200 only when {@link Readiness} holds, else 503;</li>
 *   <li>metrics (15090): {@code /stats/prometheus}.</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    /**
     * What the endpoints show.
     *
     * @param node      the proxy's identity
     * @param store     the xDS resources in force
     * @param clusters  endpoint state from the data plane
     * @param certs     certificate and trust bundle in force
     * @param readiness readiness conditions
     * @param meters    the Prometheus registry
     * @param xds       the xDS client's state, empty when there is no control plane
     */
    public record Sources(NodeInfo node, ResourceStore store, ClusterStatusSource clusters, CertificateSource certs,
                          Readiness readiness, PrometheusMeterRegistry meters, Supplier<Optional<XdsStatus>> xds) {
        public Sources {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(store, "store");
            Objects.requireNonNull(clusters, "clusters");
            Objects.requireNonNull(certs, "certs");
            Objects.requireNonNull(readiness, "readiness");
            Objects.requireNonNull(meters, "meters");
            Objects.requireNonNull(xds, "xds");
        }
    }

    private final Vertx vertx;
    private final Sources sources;
    private HttpServer admin;
    private HttpServer health;
    private HttpServer metrics;

    /** Creates the servers; {@link #start} binds them. */
    public AdminServer(Vertx vertx, Sources sources) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.sources = Objects.requireNonNull(sources, "sources");
    }

    /**
     * Binds admin, health and metrics (a port of 0 binds any free port; a negative one skips that
     * server). Completes when all are listening.
     */
    public Future<Void> start(String adminHost, int adminPort, String healthHost, int healthPort, int metricsPort) {
        Future<HttpServer> a = adminPort < 0 ? Future.succeededFuture() : vertx.createHttpServer()
                .requestHandler(this::admin).listen(adminPort, adminHost).onSuccess(s -> admin = s);
        Future<HttpServer> h = healthPort < 0 ? Future.succeededFuture() : vertx.createHttpServer()
                .requestHandler(this::health).listen(healthPort, healthHost).onSuccess(s -> health = s);
        Future<HttpServer> m = metricsPort < 0 ? Future.succeededFuture() : vertx.createHttpServer()
                .requestHandler(this::metrics).listen(metricsPort, healthHost).onSuccess(s -> metrics = s);
        return Future.all(a, h, m).onSuccess(x -> LOG.info("Admin {}:{}, health {}:{}, metrics {}:{} listening",
                adminHost, adminPort(), healthHost, healthPort(), healthHost, metricsPort())).mapEmpty();
    }

    /** The bound admin port (-1 when not started). */
    public int adminPort() {
        return admin == null ? -1 : admin.actualPort();
    }

    /** The bound health port (-1 when not started). */
    public int healthPort() {
        return health == null ? -1 : health.actualPort();
    }

    /** The bound metrics port (-1 when not started). */
    public int metricsPort() {
        return metrics == null ? -1 : metrics.actualPort();
    }

    private void admin(HttpServerRequest req) {
        try {
            switch (req.path()) {
                case "/config_dump" -> json(req, 200, ConfigDump.render(sources.node(), sources.store(), sources.certs(),
                        sources.xds().get())
                        .encodePrettily());
                case "/clusters" -> clusters(req);
                case "/logging" -> logging(req);
                case "/ready", "/healthz/ready" -> health(req);
                case "/stats/prometheus" -> metrics(req);
                case "/" -> text(req, 200, "/config_dump\n/clusters\n/logging\n/ready\n/stats/prometheus\n");
                default -> text(req, 404, "no such admin endpoint: " + req.path() + "\n");
            }
        } catch (RuntimeException e) {
            LOG.warn("Admin request failed [{} {}]: {}", req.method(), req.uri(), e.toString());
            text(req, 500, "error: " + e.getMessage() + "\n");
        }
    }

    private void clusters(HttpServerRequest req) {
        List<EndpointStatus> eps = sources.clusters().endpointStatus();
        if ("json".equals(req.getParam("format"))) {
            JsonArray a = new JsonArray();
            eps.forEach(e -> a.add(new JsonObject().put("cluster", e.cluster()).put("address", e.address())
                    .put("port", e.port()).put("locality", e.locality().toString()).put("priority", e.priority())
                    .put("weight", e.weight()).put("health", e.health()).put("ejected", e.ejected())
                    .put("active_requests", e.activeRequests()).put("transport", e.transport())));
            json(req, 200, new JsonObject().put("endpoints", a).encodePrettily());
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (EndpointStatus e : eps) {
            String p = e.cluster() + "::" + e.address() + ":" + e.port() + "::";
            sb.append(p).append("locality::").append(e.locality()).append('\n')
                    .append(p).append("priority::").append(e.priority()).append('\n')
                    .append(p).append("weight::").append(e.weight()).append('\n')
                    .append(p).append("health_flags::").append(e.ejected() ? "/failed_outlier_check" : e.health())
                    .append('\n')
                    .append(p).append("rq_active::").append(e.activeRequests()).append('\n')
                    .append(p).append("transport::").append(e.transport()).append('\n');
        }
        text(req, 200, sb.toString());
    }

    private void logging(HttpServerRequest req) {
        if (req.method() == HttpMethod.POST) {
            StringBuilder sb = new StringBuilder();
            for (var e : req.params()) {
                String prefix = e.getKey().equals("level") ? "" : e.getKey();
                try {
                    int n = LogLevels.set(prefix, e.getValue());
                    sb.append(prefix.isEmpty() ? "all" : prefix).append(" -> ").append(e.getValue())
                            .append(" (").append(n).append(" loggers)\n");
                    LOG.info("Log level changed [{}] {}", prefix.isEmpty() ? "all" : prefix, e.getValue());
                } catch (IllegalArgumentException ex) {
                    text(req, 400, ex.getMessage() + "\n");
                    return;
                }
            }
            text(req, 200, sb.length() == 0 ? "usage: POST /logging?level=debug or ?<logger-prefix>=debug\n" : sb.toString());
            return;
        }
        StringBuilder sb = new StringBuilder("active loggers:\n");
        LogLevels.levels().forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
        text(req, 200, sb.toString());
    }

    private void health(HttpServerRequest req) {
        if (!req.path().equals("/healthz/ready") && !req.path().equals("/ready")) {
            text(req, 404, "not found\n");
            return;
        }
        var reason = sources.readiness().notReadyReason();
        text(req, reason.isEmpty() ? 200 : 503, reason.orElse("ready") + "\n");
    }

    private void metrics(HttpServerRequest req) {
        if (!req.path().equals("/stats/prometheus") && !req.path().equals("/metrics")) {
            text(req, 404, "not found\n");
            return;
        }
        req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                .end(sources.meters().scrape());
    }

    private static void text(HttpServerRequest req, int status, String body) {
        req.response().setStatusCode(status).putHeader("content-type", "text/plain; charset=utf-8").end(body);
    }

    private static void json(HttpServerRequest req, int status, String body) {
        req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
    }

    @Override
    public void close() {
        for (HttpServer s : new HttpServer[] {admin, health, metrics}) {
            if (s != null) {
                s.close();
            }
        }
    }
}
