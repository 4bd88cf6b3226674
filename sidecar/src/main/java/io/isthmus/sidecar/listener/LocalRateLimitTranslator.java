package io.isthmus.sidecar.listener;

import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.RateLimit;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.v3.TokenBucket;
import io.isthmus.sidecar.errors.ResourceDurations;
import io.isthmus.sidecar.errors.UnsupportedFieldException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Translates {@code envoy.filters.http.local_ratelimit} into an
 * {@link io.isthmus.sidecar.filter.LocalRateLimit}. Honoured: {@code token_bucket}, one descriptor
 * {@code entries [{key: remote_address}]} (empty value: one bucket per client address, with the
 * descriptor's bucket), {@code rate_limits} whose actions are all {@code remote_address},
 * {@code filter_enabled}/{@code filter_enforced} at 100 % (absent counts as 100 %),
 * {@code status} 429, {@code response_headers_to_add}. With a descriptor, the default bucket is not
 * consumed.
 */
final class LocalRateLimitTranslator {

    private static final String REMOTE_ADDRESS = "remote_address";

    private LocalRateLimitTranslator() {
    }

    static Optional<io.isthmus.sidecar.filter.LocalRateLimit> translate(LocalRateLimit l, LongSupplier nanoClock)
            throws UnsupportedFieldException {
        if (l.hasStatus() && l.getStatus().getCodeValue() != 429) {
            throw new UnsupportedFieldException("status", "only 429 is supported");
        }
        checkFull(l.hasFilterEnabled(), l.getFilterEnabled(), "filter_enabled");
        checkFull(l.hasFilterEnforced(), l.getFilterEnforced(), "filter_enforced");
        if (l.getStage() != 0 || l.getLocalRateLimitPerDownstreamConnection() || l.hasLocalClusterRateLimit()
                || l.getEnableXRatelimitHeadersValue() != 0 || l.getRequestHeadersToAddWhenNotEnforcedCount() > 0) {
            throw new UnsupportedFieldException("stage", "stage, per-connection buckets, cluster-wide limits, x-ratelimit headers "
                    + "and request_headers_to_add_when_not_enforced are not supported");
        }
        for (int i = 0; i < l.getRateLimitsCount(); i++) {
            checkRemoteAddressOnly(l.getRateLimits(i), "rate_limits[" + i + "]");
        }
        if (l.getDescriptorsCount() > 1) {
            throw new UnsupportedFieldException("descriptors", "only one descriptor (remote_address) is supported");
        }
        boolean perClient = false;
        TokenBucket bucket = l.getTokenBucket();
        String bucketField = "token_bucket";
        if (l.getDescriptorsCount() == 1) {
            var d = l.getDescriptors(0);
            if (d.getEntriesCount() != 1 || !d.getEntries(0).getKey().equals(REMOTE_ADDRESS) || !d.getEntries(0).getValue().isEmpty()) {
                throw new UnsupportedFieldException("descriptors[0].entries",
                        "only one entry {key: remote_address} with an empty value (a bucket per client address) is supported");
            }
            if (!d.hasTokenBucket()) {
                throw new UnsupportedFieldException("descriptors[0].token_bucket", "missing");
            }
            perClient = true;
            bucket = d.getTokenBucket();
            bucketField = "descriptors[0].token_bucket";
        } else if (!l.hasTokenBucket()) {
            // Envoy: without a token bucket the filter lets everything through
            return Optional.empty();
        }
        long max = bucket.getMaxTokens();
        long perFill = bucket.hasTokensPerFill() ? bucket.getTokensPerFill().getValue() : 1;
        Duration interval = ResourceDurations.of(bucket.getFillInterval(), bucketField + ".fill_interval");
        if (max < 1 || perFill < 1 || interval.toMillis() < 1) {
            throw new UnsupportedFieldException(bucketField, "max_tokens and tokens_per_fill must be >= 1 and fill_interval >= 1 ms");
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (int i = 0; i < l.getResponseHeadersToAddCount(); i++) {
            var h = l.getResponseHeadersToAdd(i).getHeader();
            if (h.getKey().isEmpty()) {
                throw new UnsupportedFieldException("response_headers_to_add[" + i + "].header.key", "must not be empty");
            }
            headers.add(Map.entry(h.getKey(), h.getValue().isEmpty() ? h.getRawValue().toStringUtf8() : h.getValue()));
        }
        return Optional.of(io.isthmus.sidecar.filter.LocalRateLimit.of(l.getStatPrefix(), max, perFill, interval, perClient,
                headers, nanoClock));
    }

    /** Route and virtual host {@code rate_limits} are accepted when every action is {@code remote_address}. */
    static void checkRemoteAddressOnly(RateLimit r, String field) throws UnsupportedFieldException {
        if (r.getActionsCount() == 0) {
            throw new UnsupportedFieldException(field + ".actions", "must not be empty");
        }
        for (int j = 0; j < r.getActionsCount(); j++) {
            if (!r.getActions(j).hasRemoteAddress()) {
                throw new UnsupportedFieldException(field + ".actions[" + j + "]", "only remote_address actions are supported");
            }
        }
    }

    private static void checkFull(boolean has, RuntimeFractionalPercent p, String field) throws UnsupportedFieldException {
        if (!has) {
            return;
        }
        FractionalPercent v = p.getDefaultValue();
        long denominator = switch (v.getDenominator()) {
            case HUNDRED -> 100;
            case TEN_THOUSAND -> 10_000;
            case MILLION -> 1_000_000;
            default -> 100;
        };
        if (v.getNumerator() != denominator) {
            throw new UnsupportedFieldException(field, "only 100 % is supported");
        }
    }
}
