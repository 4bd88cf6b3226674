package io.isthmus.sidecar.cluster;

import io.isthmus.sidecar.endpoint.DnsAssignments;
import io.isthmus.sidecar.endpoint.HostResolver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.NetUtil;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves the host names of one DNS cluster now and then every {@code dns_refresh_rate}, and
 * hands the addresses in force per host to the cluster. A host that fails to resolve keeps its last
 * good addresses; a successful answer replaces them (endpoints appear and disappear with DNS).
 * Changes are logged once each (new addresses, a host starting or stopping to fail); every
 * resolution is counted in {@code isthmus_dns_resolutions_total{cluster, result}}. IP literals are
 * used as they are, without a lookup. Rounds run one at a time on a worker thread (the resolver may
 * block); results are handed over on the Vert.x context.
 */
final class DnsRefresher {

    private static final Logger LOG = LoggerFactory.getLogger(DnsRefresher.class);

    private final Vertx vertx;
    private final String cluster;
    private final DnsConfig config;
    private final HostResolver resolver;
    private final Consumer<Map<String, List<InetAddress>>> publish;
    private final Counter successes;
    private final Counter failures;
    private final Map<String, List<InetAddress>> good = new LinkedHashMap<>();
    private final Map<String, String> lastState = new HashMap<>();
    private final List<String> names;
    private volatile boolean closed;
    private long timer = -1;

    /**
     * @param publish receives the addresses in force per host after every round
     */
    DnsRefresher(Vertx vertx, String cluster, DnsConfig config, HostResolver resolver, MeterRegistry meters,
                 Consumer<Map<String, List<InetAddress>>> publish) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.config = Objects.requireNonNull(config, "config");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.publish = Objects.requireNonNull(publish, "publish");
        this.successes = Counter.builder("isthmus_dns_resolutions").description("Host name resolutions of DNS clusters")
                .tag("cluster", cluster).tag("result", "success").register(meters);
        this.failures = Counter.builder("isthmus_dns_resolutions").description("Host name resolutions of DNS clusters")
                .tag("cluster", cluster).tag("result", "failure").register(meters);
        List<String> hosts = new java.util.ArrayList<>();
        for (String h : DnsAssignments.hosts(config.targets())) {
            if (NetUtil.isValidIpV4Address(h) || NetUtil.isValidIpV6Address(h)) {
                good.put(h, literal(h));
            } else {
                hosts.add(h);
            }
        }
        this.names = List.copyOf(hosts);
    }

    /** The config this refresher serves. */
    DnsConfig config() {
        return config;
    }

    /**
     * Publishes the IP literals at once (when there are any, or nothing else), then starts resolving
     * the names; a cluster whose names are not resolved yet keeps the endpoints it has until then.
     */
    void start() {
        if (!good.isEmpty() || names.isEmpty()) {
            publish.accept(Map.copyOf(good));
        }
        if (!names.isEmpty()) {
            round();
        }
    }

    private void round() {
        if (closed) {
            return;
        }
        vertx.<Map<String, Object>>executeBlocking(() -> {
            Map<String, Object> out = new LinkedHashMap<>();
            for (String h : names) {
                try {
                    out.put(h, config.family().select(resolver.resolve(h)));
                } catch (UnknownHostException e) {
                    out.put(h, "unknown host");
                } catch (RuntimeException | java.io.IOException e) {
                    out.put(h, e.toString());
                }
            }
            return out;
        }).onComplete(ar -> {
            if (closed) {
                return;
            }
            boolean failed = ar.failed();
            if (ar.succeeded()) {
                failed = apply(ar.result());
                publish.accept(Map.copyOf(good));
            } else {
                failures.increment();
                LOG.warn("DNS resolution round failed [{}]: {}", cluster, ar.cause().toString());
            }
            timer = vertx.setTimer(Math.max(1, (failed ? config.failureRefreshRate() : config.refreshRate()).toMillis()),
                    id -> round());
        });
    }

    @SuppressWarnings("unchecked")
    private boolean apply(Map<String, Object> results) {
        boolean anyFailed = false;
        for (var e : results.entrySet()) {
            String host = e.getKey();
            if (e.getValue() instanceof List<?> list) {
                successes.increment();
                List<InetAddress> addrs = (List<InetAddress>) list;
                good.put(host, addrs);
                String state = "ok " + addrs.stream().map(InetAddress::getHostAddress).toList();
                if (!state.equals(lastState.put(host, state))) {
                    LOG.info("DNS endpoints of [{}] host={} now {}", cluster, host,
                            addrs.stream().map(InetAddress::getHostAddress).toList());
                }
            } else {
                anyFailed = true;
                failures.increment();
                String state = "failed " + e.getValue();
                if (!state.equals(lastState.put(host, state))) {
                    LOG.warn("DNS resolution failing [{}] host={}: {}; keeping {} last good address(es)", cluster, host,
                            e.getValue(), good.getOrDefault(host, List.of()).size());
                }
            }
        }
        return anyFailed;
    }

    /** Stops resolving; no more results are published. */
    void close() {
        closed = true;
        long t = timer;
        if (t >= 0) {
            vertx.cancelTimer(t);
        }
    }

    private static List<InetAddress> literal(String ip) {
        try {
            return List.of(InetAddress.getByAddress(NetUtil.createByteArrayFromIpAddressString(ip)));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP literal: " + ip, e);
        }
    }
}
