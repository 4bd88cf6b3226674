package io.isthmus.controller.xds;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.isthmus.controller.translate.ProxyView;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Envoy's aggregated discovery service, state of the world: opens a {@link ProxyStream} per
 * connection and pushes recomputed configuration to the streams whose proxies are affected.
 * Delta xDS is not offered (clients fall back to state of the world).
 *
 * <p>Until the controller has synced ({@link #refuseWhile}), a new stream is refused with
 * {@code UNAVAILABLE}, as Istio does: a proxy keeps its cached configuration and reconnects with
 * backoff, rather than being served a registry that is still being listed.
 */
public final class AdsService extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
    private final ProxyConfigSource source;
    private final Clock clock;
    private final ConcurrentHashMap<Long, ProxyStream> streams = new ConcurrentHashMap<>();
    private final XdsMetrics metrics;
    private final PushThrottle throttle;
    private volatile Supplier<Optional<String>> notReady = Optional::empty;

    /** Responses in flight (sent, not yet answered) across all proxies by default, Istio's default. */
    public static final int DEFAULT_PUSH_THROTTLE = 100;

    /**
     * Creates the service.
     *
     * @param source computes a proxy's configuration
     * @param metrics where push and NACK counts go; see {@link XdsMetrics#noop()}
     * @param clock time source for sync timestamps
     */
    public AdsService(ProxyConfigSource source, XdsMetrics metrics, Clock clock) {
        this(source, metrics, clock, DEFAULT_PUSH_THROTTLE);
    }

    /**
     * Creates the service with a push throttle.
     *
     * @param pushThrottle how many responses may be out and unanswered across all proxies
     */
    public AdsService(ProxyConfigSource source, XdsMetrics metrics, Clock clock, int pushThrottle) {
        this.source = Objects.requireNonNull(source, "source");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.throttle = new PushThrottle(pushThrottle);
    }

    /**
     * Refuses new streams while {@code notReadyReason} gives a reason (streams already open are kept).
     *
     * @param notReadyReason why the controller cannot serve yet, or empty once it can
     * @return this service
     */
    public AdsService refuseWhile(Supplier<Optional<String>> notReadyReason) {
        this.notReady = Objects.requireNonNull(notReadyReason, "notReadyReason");
        return this;
    }

    @Override
    public StreamObserver<DiscoveryRequest> streamAggregatedResources(StreamObserver<DiscoveryResponse> responses) {
        Context ctx = Vertx.currentContext();
        Executor executor = ctx == null ? Runnable::run : task -> ctx.runOnContext(v -> task.run());
        Optional<String> why = notReady.get();
        if (why.isPresent()) {
            metrics.refusedNotReady();
            // Ended once the call has been set up (ending it inside this method closes it twice).
            executor.execute(() -> responses.onError(Status.UNAVAILABLE
                    .withDescription("controller not ready to serve discovery (" + why.get() + "); retry with backoff")
                    .asRuntimeException()));
            return new StreamObserver<>() {
                @Override
                public void onNext(DiscoveryRequest value) {
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            };
        }
        // A proxy's first configuration is computed on a worker, off the loop that serves every stream of it.
        Executor translation = ctx == null ? Runnable::run : task -> ctx.executeBlocking(() -> {
            task.run();
            return null;
        }, false);
        ProxyStream stream = new ProxyStream(responses, host, PeerIdentity.current(), executor, translation);
        if (responses instanceof ServerCallStreamObserver<DiscoveryResponse> call) {
            stream.flowControl(call::isReady);
            call.setOnReadyHandler(stream::onReady);
        }
        return stream;
    }

    /** The streams of every connected proxy that sent its node. */
    public Collection<ProxyStream> streams() {
        return List.copyOf(streams.values());
    }

    /** How many proxies are connected. */
    public int connectedCount() {
        return streams.size();
    }

    /**
     * Recomputes the configuration of every connected proxy that {@code affected} selects and sends
     * each the types whose content changed; proxies whose configuration did not change get nothing.
     *
     * @return the number of proxies whose configuration was recomputed
     */
    public int push(Predicate<ProxyView> affected) {
        int n = 0;
        for (ProxyStream s : streams.values()) {
            ProxyView v = s.view().orElse(null);
            if (v != null && affected.test(v)) {
                s.push(source.resourcesFor(v));
                n++;
            }
        }
        return n;
    }

    private final ProxyStream.Host host = new ProxyStream.Host() {
        @Override
        public ProxyConfigSource source() {
            return source;
        }

        @Override
        public XdsMetrics metrics() {
            return metrics;
        }

        @Override
        public Clock clock() {
            return clock;
        }

        @Override
        public void opened(ProxyStream stream) {
            streams.put(stream.id(), stream);
        }

        @Override
        public void closed(ProxyStream stream) {
            streams.remove(stream.id());
        }

        @Override
        public PushThrottle throttle() {
            return throttle;
        }
    };
}
