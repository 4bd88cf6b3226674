package io.isthmus.sidecar.listener;

import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.isthmus.sidecar.capture.HandoffTarget;
import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import io.isthmus.sidecar.filter.Direction;
import io.isthmus.sidecar.filter.ListenerContext;
import io.isthmus.sidecar.tls.MeshTls;
import io.isthmus.sidecar.tls.NamedSecrets;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners in force: validates a complete LDS set, binds new listeners, swaps the config of
 * unchanged sockets without rebinding, rebinds changed ones and closes removed ones; a listener rebound
 * or removed stops accepting at once and drains its open connections for the drain time. Updates come
 * from one thread; when that thread is not an event loop, a bind failure is reported as a rejection
 * of the listener and everything bound by the update is undone.
 */
public final class ListenerManager {

    private static final Logger LOG = LoggerFactory.getLogger(ListenerManager.class);
    private static final long BIND_WAIT_SECONDS = 10;

    private final Vertx vertx;
    private final MeshTls tls;
    private final NamedSecrets secrets;
    private final LongSupplier nanoClock;
    private final Function<ListenerConfig, ListenerContext> contexts;
    private final int instances;
    private final Duration drainTime;
    private final Map<String, ServingListener> serving = new HashMap<>();
    /** The listeners a {@code use_original_dst} listener may hand connections to, by address; replaced whole. */
    private volatile Map<EndpointAddress, ServingListener> byAddress = Map.of();

    /**
     * @param vertx the Vert.x instance
     * @param tls downstream TLS settings of the workload identity
     * @param secrets the named SDS secrets (gateway credentials) chains may present and verify with
     * @param nanoClock monotonic time of rate limit buckets
     * @param contexts builds the filters' context of a listener
     * @param instances event loops (servers) per listener
     * @param drainTime how long the open connections of a listener that is removed, rebound or closed may go on
     *                  (zero: closed at once)
     */
    public ListenerManager(Vertx vertx, MeshTls tls, NamedSecrets secrets, LongSupplier nanoClock,
                           Function<ListenerConfig, ListenerContext> contexts, int instances, Duration drainTime) {
        this.vertx = vertx;
        this.tls = tls;
        this.secrets = secrets;
        this.nanoClock = nanoClock;
        this.contexts = contexts;
        this.instances = instances;
        this.drainTime = java.util.Objects.requireNonNull(drainTime, "drainTime");
    }

    /** Puts exactly these listeners in force, or throws (nothing new stays bound). */
    public void apply(Map<String, Listener> resources) throws InvalidResourceException {
        Map<String, ListenerConfig> configs = new LinkedHashMap<>();
        for (var e : resources.entrySet()) {
            ListenerTranslator.translate(e.getValue(), nanoClock).ifPresent(c -> configs.put(c.name(), c));
        }
        Map<String, String> addresses = new HashMap<>();
        for (ListenerConfig c : configs.values()) {
            String key = (c.binding() == ListenerConfig.Binding.NOT_BOUND ? "not bound " : "") + c.address();
            String prev = addresses.put(key, c.name());
            if (prev != null) {
                throw new InvalidResourceException(TypeUrls.LISTENER, c.name(), "address",
                        "address " + c.address() + " is also used by listener " + prev);
            }
        }
        List<String> removed = new ArrayList<>();
        for (String name : serving.keySet()) {
            ListenerConfig next = configs.get(name);
            if (next == null || !next.sameSocket(serving.get(name).config())) {
                removed.add(name);
            }
        }
        for (String name : removed) {
            ServingListener l = serving.remove(name);
            refreshRoutes();
            ServingListener.Drain drain = l.drain(drainTime);
            wait(drain.released(), name);
            LOG.info("listener closed [{} {}], its connections draining for up to {} s", name, l.config().address(),
                    drainTime.toMillis() / 1000.0);
            drain.done().onComplete(ar -> LOG.info("listener drained [{} {}]", name, l.config().address()));
        }
        Map<String, Future<ServingListener>> binding = new LinkedHashMap<>();
        for (ListenerConfig c : configs.values()) {
            ServingListener l = serving.get(c.name());
            if (l != null) {
                if (!l.config().equals(c)) {
                    l.update(c, contexts.apply(c));
                }
            } else {
                binding.put(c.name(), ServingListener.bind(vertx, tls, secrets, c, contexts, instances, this::route));
            }
        }
        InvalidResourceException failure = null;
        for (var e : binding.entrySet()) {
            try {
                ServingListener l = waitFor(e.getValue());
                if (l != null) {
                    serving.put(e.getKey(), l);
                } else {
                    String name = e.getKey();
                    e.getValue().onSuccess(x -> {
                                serving.put(name, x);
                                refreshRoutes();
                            })
                            .onFailure(t -> LOG.error("listener bind failed [{}]: {}", name, t.toString()));
                }
            } catch (Exception ex) {
                Throwable cause = ex.getCause() == null ? ex : ex.getCause();
                failure = new InvalidResourceException(TypeUrls.LISTENER, e.getKey(), "address",
                        "cannot bind " + configs.get(e.getKey()).address() + ": " + cause.getMessage());
            }
        }
        if (failure != null) {
            for (String name : binding.keySet()) {
                ServingListener l = serving.remove(name);
                if (l != null) {
                    l.close();
                }
            }
            refreshRoutes();
            throw failure;
        }
        refreshRoutes();
    }

    private void refreshRoutes() {
        Map<EndpointAddress, ServingListener> next = new HashMap<>();
        for (ServingListener l : serving.values()) {
            if (!l.config().binding().captures()) {
                next.put(l.config().address(), l);
            }
        }
        byAddress = Map.copyOf(next);
    }

    /**
     * Envoy's hand-off of a connection accepted by a {@code use_original_dst} listener: the listener
     * whose address is the original destination, else the one at {@code 0.0.0.0} with its port;
     * {@code null} when none (the accepting listener's own chains then apply). Any thread.
     */
    private HandoffTarget route(InetSocketAddress originalDst) {
        Map<EndpointAddress, ServingListener> table = byAddress;
        int port = originalDst.getPort();
        ServingListener l = table.get(new EndpointAddress(originalDst.getAddress().getHostAddress(), port));
        if (l == null) {
            l = table.get(new EndpointAddress("0.0.0.0", port));
        }
        return l == null ? null : l.handoffs;
    }

    /** The listeners bound now. */
    public List<ListenerConfig> active() {
        return serving.values().stream().map(ServingListener::config).toList();
    }

    /**
     * Closes every listener, inbound ones first: they stop accepting and their open connections get the drain time to
     * finish, while the outbound listeners keep serving the app, which may still call out to answer those requests;
     * then the outbound listeners drain the same way.
     */
    public Future<Void> close() {
        List<ServingListener> inbound = new ArrayList<>();
        List<ServingListener> outbound = new ArrayList<>();
        serving.values().forEach(l -> (l.config().direction() == Direction.INBOUND ? inbound : outbound).add(l));
        // the hand-off table stays as it is: outbound capture listeners still route to the listeners behind them
        serving.clear();
        return drainAll(inbound).transform(ar -> drainAll(outbound));
    }

    private Future<Void> drainAll(List<ServingListener> listeners) {
        List<Future<Void>> drains = new ArrayList<>();
        listeners.forEach(l -> drains.add(l.drain(drainTime).done()));
        return Future.join(drains).transform(ar -> Future.succeededFuture());
    }

    private static ServingListener waitFor(Future<ServingListener> f) throws Exception {
        if (Context.isOnEventLoopThread()) {
            return null;
        }
        return f.toCompletionStage().toCompletableFuture().get(BIND_WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static void wait(Future<Void> f, String name) {
        if (Context.isOnEventLoopThread()) {
            return;
        }
        try {
            f.toCompletionStage().toCompletableFuture().get(BIND_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("listener close incomplete [{}]: {}", name, e.toString());
        }
    }
}
