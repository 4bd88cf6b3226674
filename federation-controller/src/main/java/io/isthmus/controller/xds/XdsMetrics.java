package io.isthmus.controller.xds;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The transport's Prometheus meters, under Istio's pilot names so that existing dashboards read
 * them: connected proxies, responses pushed per type, push latency, NACKs per type.
 */
public final class XdsMetrics {
    private final Map<XdsType, Counter> pushes = new EnumMap<>(XdsType.class);
    private final Map<XdsType, Counter> nacks = new EnumMap<>(XdsType.class);
    private final Timer pushTime;
    private final Timer convergence;
    private final Counter refusedNotReady;

    /**
     * Registers the meters.
     *
     * @param registry where they live
     * @param connected how many proxy streams are open now
     */
    public XdsMetrics(MeterRegistry registry, Supplier<Number> connected) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(connected, "connected");
        registry.gauge("pilot_xds", java.util.List.of(), connected, s -> s.get().doubleValue());
        for (XdsType t : XdsType.values()) {
            pushes.put(t, Counter.builder("pilot_xds_pushes").tag("type", t.shortName())
                    .description("Responses sent to proxies").register(registry));
            nacks.put(t, Counter.builder("pilot_total_xds_rejects").tag("type", t.shortName())
                    .description("Responses a proxy refused (NACK)").register(registry));
        }
        pushTime = Timer.builder("pilot_xds_push_time").description("Time to translate and send one full push to all affected proxies")
                .publishPercentileHistogram().register(registry);
        convergence = Timer.builder("pilot_proxy_convergence_time")
                .description("From the first change of a debounced batch until the push to every affected proxy was sent")
                .publishPercentileHistogram().register(registry);
        refusedNotReady = Counter.builder("isthmus_xds_streams_refused").tag("reason", "not_ready")
                .description("ADS streams refused with UNAVAILABLE because the controller had not synced yet")
                .register(registry);
    }

    /** A metrics sink that records nothing, for tests and tools. */
    public static XdsMetrics noop() {
        return new XdsMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), () -> 0);
    }

    void pushed(XdsType type) {
        pushes.get(type).increment();
    }

    void nacked(XdsType type) {
        nacks.get(type).increment();
    }

    void refusedNotReady() {
        refusedNotReady.increment();
    }

    void pushRound(Duration took, Duration sinceFirstChange) {
        pushTime.record(took);
        convergence.record(sinceFirstChange);
    }
}
