package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.errors.ErrorResponder;
import io.isthmus.sidecar.errors.ResponseFlag;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Envoy's {@code envoy.filters.http.local_ratelimit} as the proxy runs it: a token bucket, either one
 * for the whole chain or one per client address (a descriptor on {@code remote_address} with an empty
 * value), answering 429 with {@code x-local-rate-limit: true} and the configured response headers
 * when it is empty. The buckets belong to the instance and are not part of its equality, so an
 * unchanged filter re-sent by the control plane keeps its buckets. Thread-safe.
 *
 * @param statPrefix its stat prefix
 * @param maxTokens bucket size, at least 1
 * @param tokensPerFill tokens added every {@code fillInterval}, at least 1
 * @param fillInterval refill period, at least 1 ms
 * @param perClient one bucket per client address (true) or one for the chain
 * @param responseHeaders headers added to the 429 answer
 * @param buckets the buckets, by client address ("" for the chain's single bucket)
 */
public record LocalRateLimit(String statPrefix, long maxTokens, long tokensPerFill, Duration fillInterval, boolean perClient,
                             List<Map.Entry<String, String>> responseHeaders, Buckets buckets) {

    /** Most client addresses tracked at once; the least recently seen is forgotten beyond that. */
    static final int MAX_CLIENTS = 100_000;

    public LocalRateLimit {
        Objects.requireNonNull(statPrefix, "statPrefix");
        Objects.requireNonNull(fillInterval, "fillInterval");
        responseHeaders = List.copyOf(responseHeaders);
        Objects.requireNonNull(buckets, "buckets");
        if (maxTokens < 1 || tokensPerFill < 1 || fillInterval.toMillis() < 1) {
            throw new IllegalArgumentException("max_tokens and tokens_per_fill must be >= 1 and fill_interval >= 1 ms");
        }
    }

    /** A limit with full buckets, reading time from {@code nanoClock}. */
    public static LocalRateLimit of(String statPrefix, long maxTokens, long tokensPerFill, Duration fillInterval,
                                    boolean perClient, List<Map.Entry<String, String>> responseHeaders, LongSupplier nanoClock) {
        return new LocalRateLimit(statPrefix, maxTokens, tokensPerFill, fillInterval, perClient, responseHeaders,
                new Buckets(nanoClock));
    }

    /** Takes a token for a request of {@code clientAddress}; false when the bucket is empty. */
    public boolean tryAcquire(String clientAddress) {
        return buckets.take(perClient ? clientAddress : "", this);
    }

    /**
     * Answers a refused request: 429 with {@code x-local-rate-limit: true} and the configured headers, after the
     * route's response header mutation (as Envoy's filter adds its headers to the local reply last).
     *
     * @param flags the response flags of the request
     * @param routeHeaders mutates the answer's headers; null when the route has none
     */
    void reject(HttpServerResponse response, String flags, Consumer<MultiMap> routeHeaders) {
        response.setStatusCode(ResponseFlag.RATE_LIMITED.status());
        if (routeHeaders != null) {
            routeHeaders.accept(response.headers());
        }
        if (!response.headers().contains("content-type")) {
            response.putHeader("content-type", "text/plain");
        }
        response.putHeader("x-local-rate-limit", "true")
                .putHeader(ErrorResponder.FLAGS_HEADER, flags)
                .putHeader("server", "isthmus");
        responseHeaders.forEach(h -> response.putHeader(h.getKey(), h.getValue()));
        response.end("local_rate_limited\n");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LocalRateLimit l && l.statPrefix.equals(statPrefix) && l.maxTokens == maxTokens
                && l.tokensPerFill == tokensPerFill && l.fillInterval.equals(fillInterval) && l.perClient == perClient
                && l.responseHeaders.equals(responseHeaders);
    }

    @Override
    public int hashCode() {
        return Objects.hash(statPrefix, maxTokens, tokensPerFill, fillInterval, perClient, responseHeaders);
    }

    /** Token buckets by key, refilled lazily at each take. */
    public static final class Buckets {
        private final LongSupplier nanoClock;
        private final Map<String, long[]> byKey = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
                return size() > MAX_CLIENTS;
            }
        };

        Buckets(LongSupplier nanoClock) {
            this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        }

        synchronized boolean take(String key, LocalRateLimit l) {
            long now = nanoClock.getAsLong();
            long interval = l.fillInterval.toNanos();
            long[] b = byKey.get(key);
            if (b == null) {
                b = new long[] {l.maxTokens, now};
                byKey.put(key, b);
            } else {
                long fills = (now - b[1]) / interval;
                if (fills > 0) {
                    b[0] = Math.min(l.maxTokens, b[0] + fills * l.tokensPerFill);
                    b[1] += fills * interval;
                }
            }
            if (b[0] <= 0) {
                return false;
            }
            b[0]--;
            return true;
        }

        @Override
        public String toString() {
            return "Buckets";
        }
    }
}
