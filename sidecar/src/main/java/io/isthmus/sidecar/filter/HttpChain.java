package io.isthmus.sidecar.filter;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An HTTP connection manager as the proxy runs it.
 *
 * @param statPrefix its stat prefix
 * @param rdsName the RDS route configuration to use; empty when {@code inlineRoutes} is given
 * @param inlineRoutes an inline route configuration
 * @param rbac authorization filters in order (each ALLOW or DENY)
 * @param forwardClientCert how {@code x-forwarded-client-cert} is handled
 * @param forwarded how the client's address is learnt and passed on ({@code use_remote_address},
 *     {@code xff_num_trusted_hops})
 * @param maxRequestHeadersBytes largest request header block accepted ({@code max_request_headers_kb},
 *     default 60 KiB); larger requests are answered 431
 * @param rateLimit the local rate limit filter, when configured
 * @param envoyHeaders whether the router adds its response headers ({@code x-envoy-upstream-service-time});
 *     the router's {@code suppress_envoy_headers}
 * @param peerExchange the peer metadata exchange filter's directions, {@link PeerExchange#NONE} without it
 * @param cors where the CORS filter runs, if the chain has one (routes with a CORS policy need it to be acted on)
 */
public record HttpChain(String statPrefix, String rdsName, Optional<io.isthmus.sidecar.route.RouteTable> inlineRoutes,
                        List<RbacPolicy> rbac, ClientCertForwarding forwardClientCert, Forwarded forwarded,
                        int maxRequestHeadersBytes, Optional<LocalRateLimit> rateLimit, EnvoyHeaders envoyHeaders,
                        PeerExchange peerExchange, Cors cors) {

    /** Envoy's default header block limit (60 KiB). */
    public static final int DEFAULT_MAX_REQUEST_HEADERS_BYTES = 60 * 1024;

    public HttpChain {
        Objects.requireNonNull(statPrefix, "statPrefix");
        Objects.requireNonNull(rdsName, "rdsName");
        Objects.requireNonNull(inlineRoutes, "inlineRoutes");
        rbac = List.copyOf(rbac);
        Objects.requireNonNull(forwardClientCert, "forwardClientCert");
        Objects.requireNonNull(forwarded, "forwarded");
        Objects.requireNonNull(rateLimit, "rateLimit");
        Objects.requireNonNull(envoyHeaders, "envoyHeaders");
        Objects.requireNonNull(peerExchange, "peerExchange");
        Objects.requireNonNull(cors, "cors");
        if (maxRequestHeadersBytes < 1024) {
            throw new IllegalArgumentException("maxRequestHeadersBytes must be >= 1 KiB");
        }
        if (rdsName.isEmpty() == inlineRoutes.isEmpty()) {
            throw new IllegalArgumentException("exactly one of rds and route_config is needed");
        }
    }

    /** Whether the router sets its {@code x-envoy-*} response headers (Router {@code suppress_envoy_headers}). */
    public enum EnvoyHeaders {
        /** Set them (Envoy's default). */
        SET,
        /** Leave them out. */
        SUPPRESSED
    }

    /**
     * Whether the chain has Envoy's CORS filter ({@code envoy.filters.http.cors}) and where it runs: after RBAC and the
     * local rate limit, before or after the fault filter, as the chain lists them.
     */
    public enum Cors {
        /** No CORS filter: CORS policies of routes have no effect. */
        NONE,
        /** Before fault injection (or in a chain without the fault filter). */
        BEFORE_FAULT,
        /** After fault injection. */
        AFTER_FAULT
    }

    /** Envoy's {@code forward_client_cert_details}, the modes the proxy honours. */
    public enum ClientCertForwarding {
        /** Remove any incoming header (Envoy's SANITIZE). */
        SANITIZE,
        /** Replace any incoming header with this connection's client certificate details. */
        SANITIZE_SET,
        /** Pass an incoming header unchanged (FORWARD_ONLY). */
        FORWARD_ONLY,
        /** Append this connection's details to an incoming header (APPEND_FORWARD). */
        APPEND_FORWARD
    }

    /**
     * How the connection manager treats {@code x-forwarded-for}.
     *
     * @param useRemoteAddress the client is the connection's peer (edge proxies): the peer is appended
     *     to {@code x-forwarded-for}, {@code x-forwarded-proto} is set from the connection and
     *     {@code x-envoy-external-address} names the client
     * @param trustedHops {@code xff_num_trusted_hops}: how many addresses at the right end of an
     *     incoming {@code x-forwarded-for} come from trusted proxies; the client is the next one
     * @param internal which client addresses make a request internal ({@code internal_address_config}):
     *     only internal requests may steer the router with {@code x-envoy-*} headers
     */
    public record Forwarded(boolean useRemoteAddress, int trustedHops, InternalAddresses internal) {
        /** The sidecar default: headers passed unchanged, no request internal. */
        public static final Forwarded PASS = new Forwarded(false, 0, InternalAddresses.NONE);

        public Forwarded {
            if (trustedHops < 0) {
                throw new IllegalArgumentException("trustedHops must be >= 0");
            }
            Objects.requireNonNull(internal, "internal");
        }
    }
}
