package io.isthmus.gateway.telemetry;

import io.isthmus.gateway.RefusalReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The gateway's meters. TCP meters carry Istio's labels with the gateway as reporter
 * ({@code reporter="source"}): {@code source_cluster} and {@code destination_cluster} are the
 * gateway's own cluster (it only passes to endpoints of its network), {@code destination_service}
 * the service hostname from the server name. Safe for concurrent use.
 */
public final class GatewayMetrics {

    private final MeterRegistry registry;
    private final String cluster;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger pendingHellos = new AtomicInteger();
    private final Map<RefusalReason, Counter> refused = new EnumMap<>(RefusalReason.class);
    private final ConcurrentHashMap<String, ServiceMeters> services = new ConcurrentHashMap<>();

    /** The meters of one destination service. */
    public record ServiceMeters(Counter opened, Counter closed, Counter sent, Counter received, Counter connectFailures) {
    }

    /**
     * @param registry where meters are registered
     * @param cluster the gateway's cluster name, for the cluster labels
     */
    public GatewayMetrics(MeterRegistry registry, String cluster) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        Gauge.builder("isthmus_gateway_active_connections", active, AtomicInteger::get)
                .description("Downstream connections open now, in any stage").register(registry);
        Gauge.builder("isthmus_gateway_pending_client_hellos", pendingHellos, AtomicInteger::get)
                .description("Connections still reading their ClientHello").register(registry);
        for (RefusalReason r : RefusalReason.values()) {
            refused.put(r, Counter.builder("isthmus_gateway_refused_connections")
                    .description("Connections closed without being passed on, by reason")
                    .tag("reason", r.label()).register(registry));
        }
    }

    /** The registry, for exporting. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Registers a gauge computed on scrape. */
    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    public void connectionAccepted() {
        active.incrementAndGet();
    }

    public void helloStarted() {
        pendingHellos.incrementAndGet();
    }

    public void helloDone() {
        pendingHellos.decrementAndGet();
    }

    public void connectionClosed() {
        active.decrementAndGet();
    }

    /** Active downstream connections. */
    public int activeConnections() {
        return active.get();
    }

    public void refused(RefusalReason reason) {
        refused.get(reason).increment();
    }

    /** How many connections were refused for {@code reason}. */
    public long refusedCount(RefusalReason reason) {
        return (long) refused.get(reason).count();
    }

    /** The meters of a destination service, created on first use. */
    public ServiceMeters service(String destinationService) {
        return services.computeIfAbsent(destinationService, this::create);
    }

    private ServiceMeters create(String service) {
        Tags tags = Tags.of("reporter", "source", "source_cluster", cluster, "destination_cluster", cluster,
                "destination_service", service, "destination_service_name", service.split("\\.", 2)[0],
                "request_protocol", "tcp", "connection_security_policy", "unknown");
        return new ServiceMeters(
                Counter.builder("istio_tcp_connections_opened").tags(tags).register(registry),
                Counter.builder("istio_tcp_connections_closed").tags(tags).register(registry),
                Counter.builder("istio_tcp_sent_bytes").description("Bytes sent to the downstream client").tags(tags).register(registry),
                Counter.builder("istio_tcp_received_bytes").description("Bytes received from the downstream client").tags(tags).register(registry),
                Counter.builder("isthmus_gateway_upstream_connect_failures").tags("destination_service", service).register(registry));
    }
}
