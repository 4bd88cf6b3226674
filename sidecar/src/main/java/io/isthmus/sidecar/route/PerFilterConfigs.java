package io.isthmus.sidecar.route;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.ResourceDurations;
import io.isthmus.sidecar.errors.TypeUrls;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a route's HTTP filters are told by {@code typed_per_filter_config}: the fault filter's {@code HTTPFault} (on
 * routes only) and the CORS filter's {@code CorsPolicy} (on routes, virtual hosts and route configurations, the most
 * specific level's fields first). A config for any other filter is refused naming its key.
 *
 * @param fault the route's fault injection, if any
 * @param cors the CORS policy that applies to the route (its own merged over its virtual host's and route
 *     configuration's), if any
 */
record PerFilterConfigs(Optional<RouteEntry.FaultPolicy> fault, Optional<CorsPolicy> cors) {

    /** The name of the fault filter, the key of its per-route config. */
    static final String FAULT_FILTER = "envoy.filters.http.fault";

    PerFilterConfigs {
        Objects.requireNonNull(fault, "fault");
        Objects.requireNonNull(cors, "cors");
    }

    /**
     * The configs of a route's {@code typed_per_filter_config} (at field {@code f} of route configuration {@code rc}),
     * with the CORS policy of its virtual host ({@code enclosingCors}) under its own.
     */
    static PerFilterConfigs route(String rc, String f, Map<String, Any> perFilter, Optional<CorsPolicy> enclosingCors)
            throws InvalidResourceException {
        Optional<RouteEntry.FaultPolicy> fault = Optional.empty();
        Optional<CorsPolicy> cors = Optional.empty();
        for (var e : perFilter.entrySet()) {
            String at = f + "[" + e.getKey() + "]";
            if (e.getKey().equals(FAULT_FILTER)) {
                fault = Optional.of(fault(rc, at, e.getValue()));
            } else if (e.getKey().equals(CorsTranslator.FILTER)) {
                cors = Optional.of(CorsTranslator.translate(rc, at, e.getValue()));
            } else {
                throw invalid(rc, at, "per-route config of this filter is not supported");
            }
        }
        return new PerFilterConfigs(fault, CorsPolicy.mostSpecific(cors, enclosingCors));
    }

    /**
     * The CORS policy of a virtual host's or route configuration's {@code typed_per_filter_config}, merged over that
     * of the level that encloses it ({@code outer}); CORS is the only filter configured there.
     */
    static Optional<CorsPolicy> enclosing(String rc, String f, Map<String, Any> perFilter, Optional<CorsPolicy> outer)
            throws InvalidResourceException {
        Optional<CorsPolicy> cors = Optional.empty();
        for (var e : perFilter.entrySet()) {
            String at = f + "[" + e.getKey() + "]";
            if (!e.getKey().equals(CorsTranslator.FILTER)) {
                throw invalid(rc, at, "only " + CorsTranslator.FILTER + " is configured here; other filters per route");
            }
            cors = Optional.of(CorsTranslator.translate(rc, at, e.getValue()));
        }
        return CorsPolicy.mostSpecific(cors, outer);
    }

    private static RouteEntry.FaultPolicy fault(String rc, String f, Any any) throws InvalidResourceException {
        try {
            HTTPFault hf = any.unpack(HTTPFault.class);
            if (!hf.getUpstreamCluster().isEmpty() || hf.getHeadersCount() > 0 || hf.getDownstreamNodesCount() > 0
                    || hf.hasResponseRateLimit()) {
                throw invalid(rc, f, "only fixed delay and HTTP-status abort are supported");
            }
            Duration delay = Duration.ZERO;
            int delayPm = 0;
            if (hf.hasDelay()) {
                if (!hf.getDelay().hasFixedDelay()) {
                    throw invalid(rc, f + ".delay", "only fixed_delay is supported");
                }
                delay = ResourceDurations.of(hf.getDelay().getFixedDelay(), TypeUrls.ROUTE, rc, f + ".delay.fixed_delay");
                delayPm = hf.getDelay().hasPercentage() ? RouteTranslator.perMillion(hf.getDelay().getPercentage()) : 1_000_000;
            }
            int status = 0;
            int abortPm = 0;
            if (hf.hasAbort()) {
                if (!hf.getAbort().hasHttpStatus()) {
                    throw invalid(rc, f + ".abort", "only http_status aborts are supported");
                }
                status = hf.getAbort().getHttpStatus();
                abortPm = hf.getAbort().hasPercentage() ? RouteTranslator.perMillion(hf.getAbort().getPercentage()) : 1_000_000;
            }
            return new RouteEntry.FaultPolicy(delay, delayPm, status, abortPm);
        } catch (InvalidProtocolBufferException e) {
            throw invalid(rc, f, "cannot decode HTTPFault: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw invalid(rc, f, e.getMessage());
        }
    }

    private static InvalidResourceException invalid(String rc, String field, String reason) {
        return new InvalidResourceException(TypeUrls.ROUTE, rc, field, reason);
    }
}
