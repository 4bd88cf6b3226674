package io.isthmus.sidecar.cluster;

import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import io.isthmus.sidecar.endpoint.OutlierConfig;
import io.isthmus.sidecar.lb.HashLbConfig;
import io.isthmus.sidecar.lb.LbPolicy;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A cluster as the proxy runs it: the validated, immutable form of a CDS {@code Cluster}.
 *
 * @param name the cluster name, e.g. {@code outbound|9080||reviews.default.svc.cluster.local}
 * @param discovery where its endpoints come from
 * @param edsServiceName the {@code ClusterLoadAssignment} name to use (EDS); the cluster name by default
 * @param connectTimeout TCP (and TLS) connect timeout; Envoy default 5 s
 * @param lbPolicy endpoint picking
 * @param hashLb the ring or Maglev table of a RING_HASH or MAGLEV cluster ({@code ring_hash_lb_config},
 *     {@code maglev_lb_config}, Envoy's defaults when absent); empty for the other policies
 * @param outlier outlier detection, empty when off
 * @param limits circuit breakers
 * @param tls upstream TLS ({@code transport_socket}), empty for plaintext; with socket matches, the TLS
 *     of the endpoints none of them fits
 * @param socketMatches the {@code transport_socket_matches}, in order: the first that fits an endpoint
 *     gives the TLS of its connections; empty = every endpoint uses {@code tls}
 * @param protocol the upstream HTTP protocol
 * @param staticAssignment the endpoints of a STATIC cluster; empty otherwise
 * @param dns how a STRICT_DNS or LOGICAL_DNS cluster resolves its endpoints; empty otherwise
 * @param sourceAddress the local IP address upstream connections are bound to
 *     ({@code upstream_bind_config.source_address}); empty = chosen by the kernel
 * @param idleTimeout how long a pooled upstream connection may stay idle before it is closed
 *     ({@code common_http_protocol_options.idle_timeout}); Envoy's default 1 h, zero = never
 * @param maxRequestsPerConnection how many requests one upstream connection carries before it is closed
 *     ({@code common_http_protocol_options.max_requests_per_connection}); zero = unlimited
 * @param services the mesh services the cluster's workloads serve, by host name, from its {@code istio} metadata
 *     ({@code services[].host}, Istio's); an inbound cluster's name the {@code destination_service} of its metrics
 */
public record ClusterConfig(String name, Discovery discovery, String edsServiceName, Duration connectTimeout,
                            LbPolicy lbPolicy, Optional<HashLbConfig> hashLb, Optional<OutlierConfig> outlier,
                            CircuitBreakerLimits limits,
                            Optional<UpstreamTls> tls, List<TransportSocketMatch> socketMatches, UpstreamProtocol protocol,
                            Optional<LoadAssignment> staticAssignment, Optional<DnsConfig> dns,
                            Optional<String> sourceAddress, Duration idleTimeout, int maxRequestsPerConnection,
                            List<String> services) {

    /** Envoy's default upstream {@code idle_timeout}. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);

    public ClusterConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(discovery, "discovery");
        Objects.requireNonNull(edsServiceName, "edsServiceName");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(lbPolicy, "lbPolicy");
        Objects.requireNonNull(hashLb, "hashLb");
        if (hashLb.map(HashLbConfig::policy).orElse(null) != (lbPolicy.consistentHashing() ? lbPolicy : null)) {
            throw new IllegalArgumentException("a ring or Maglev table belongs to exactly the RING_HASH and MAGLEV clusters");
        }
        Objects.requireNonNull(outlier, "outlier");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(tls, "tls");
        socketMatches = List.copyOf(socketMatches);
        if (new HashSet<>(socketMatches.stream().map(TransportSocketMatch::name).toList()).size() != socketMatches.size()) {
            throw new IllegalArgumentException("transport socket match names must be unique");
        }
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(staticAssignment, "staticAssignment");
        Objects.requireNonNull(dns, "dns");
        Objects.requireNonNull(sourceAddress, "sourceAddress");
        if (discovery == Discovery.ORIGINAL_DST && staticAssignment.isPresent()) {
            throw new IllegalArgumentException("an ORIGINAL_DST cluster has no endpoints of its own");
        }
        if (dns.isPresent() != (discovery == Discovery.STRICT_DNS || discovery == Discovery.LOGICAL_DNS)) {
            throw new IllegalArgumentException("dns settings belong to exactly the DNS cluster types");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive");
        }
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must not be negative");
        }
        if (maxRequestsPerConnection < 0) {
            throw new IllegalArgumentException("maxRequestsPerConnection must not be negative");
        }
        services = List.copyOf(services);
    }

    /**
     * Of the {@link #services} the cluster serves, the one {@code authority} names (its host name, {@code name.namespace}
     * or {@code name}, with or without a port), else the first; empty when it lists none.
     */
    public String serviceFor(String authority) {
        if (services.size() <= 1) {
            return services.isEmpty() ? "" : services.get(0);
        }
        int colon = authority.lastIndexOf(':');
        String host = colon > 0 && authority.indexOf(']') < colon ? authority.substring(0, colon) : authority;
        for (String s : services) {
            if (!host.isEmpty() && (s.equals(host) || s.startsWith(host + "."))) {
                return s;
            }
        }
        return services.get(0);
    }

    /**
     * True when two configs can share their connection pools (same TLS and socket matches, protocol,
     * limits and connection lifetimes).
     */
    public boolean samePools(ClusterConfig other) {
        return tls.equals(other.tls) && socketMatches.equals(other.socketMatches) && protocol == other.protocol
                && limits.equals(other.limits)
                && connectTimeout.equals(other.connectTimeout) && sourceAddress.equals(other.sourceAddress)
                && idleTimeout.equals(other.idleTimeout) && maxRequestsPerConnection == other.maxRequestsPerConnection;
    }

    /**
     * Which of the {@link #socketMatches()} chooses the transport socket of connections to {@code endpoint}, as
     * Envoy chooses: the first whose labels the endpoint's own {@code envoy.transport_socket_match} metadata
     * carries, else the first whose labels its locality's metadata carries.
     *
     * @return the index of the match, or -1 when none fits (the cluster's {@link #tls()} applies)
     */
    public int socketMatchIndex(Endpoint endpoint) {
        for (int i = 0; i < socketMatches.size(); i++) {
            if (socketMatches.get(i).match().matches(endpoint.socketMatch())) {
                return i;
            }
        }
        for (int i = 0; i < socketMatches.size(); i++) {
            if (socketMatches.get(i).match().matches(endpoint.localitySocketMatch())) {
                return i;
            }
        }
        return -1;
    }

    /** The upstream TLS of connections to {@code endpoint}, empty for plaintext. */
    public Optional<UpstreamTls> tlsFor(Endpoint endpoint) {
        if (socketMatches.isEmpty()) {
            return tls;
        }
        int i = socketMatchIndex(endpoint);
        return i < 0 ? tls : socketMatches.get(i).tls();
    }

    /** Where a cluster's endpoints come from. */
    public enum Discovery {
        /** Endpoint assignments over ADS. */
        EDS,
        /** The cluster's own {@code load_assignment}, IP literals. */
        STATIC,
        /** The {@code load_assignment}'s host names, every address of every host, re-resolved periodically. */
        STRICT_DNS,
        /** The {@code load_assignment}'s single host name, its first address, re-resolved periodically. */
        LOGICAL_DNS,
        /**
         * No endpoints of its own ({@code lb_policy: CLUSTER_PROVIDED}): each connection goes to the
         * original destination of the downstream connection it serves (Istio's passthrough clusters).
         */
        ORIGINAL_DST
    }

    /** The HTTP protocol spoken to the upstream. */
    public enum UpstreamProtocol {
        /** HTTP/1.1. */
        HTTP_1_1,
        /** HTTP/2: h2c in plaintext, h2 by ALPN over TLS. */
        HTTP_2,
        /**
         * {@code auto_config} of a cluster with TLS: ALPN offers h2 and http/1.1 and the server's choice is
         * spoken; HTTP/1.1 to an endpoint reached in plaintext (a socket match without TLS), where there is no ALPN.
         */
        AUTO
    }
}
