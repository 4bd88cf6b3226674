package io.isthmus.controller.translate;

import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.isthmus.controller.config.ConsistentHash;
import io.isthmus.controller.config.DestinationRule;
import io.isthmus.controller.config.MeshConfig;
import io.isthmus.controller.config.TrafficPolicy;
import io.isthmus.mesh.OutboundName;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A DestinationRule's {@code consistentHash}, as Istio translates it: the cluster's {@code lb_policy} (RING_HASH with
 * its minimum ring size, or MAGLEV with its table size), and the {@code hash_policy} of every route action that sends
 * to that cluster, which says what of a request is hashed.
 */
public final class ConsistentHashTranslator {

    private ConsistentHashTranslator() {
    }

    /** Sets the cluster's hashing load balancer. */
    static void applyTo(Cluster.Builder c, ConsistentHash hash) {
        if (hash.algorithm() instanceof ConsistentHash.Maglev m) {
            c.setLbPolicy(Cluster.LbPolicy.MAGLEV);
            if (m.tableSize() > 0) {
                c.setMaglevLbConfig(Cluster.MaglevLbConfig.newBuilder().setTableSize(UInt64Value.of(m.tableSize())));
            }
        } else if (hash.algorithm() instanceof ConsistentHash.RingHash r) {
            c.setLbPolicy(Cluster.LbPolicy.RING_HASH)
                    .setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder().setMinimumRingSize(UInt64Value.of(r.minimumRingSize())));
        }
    }

    /** The route hash policy of a consistent hash: one entry for its key. */
    static List<RouteAction.HashPolicy> hashPolicies(ConsistentHash hash) {
        RouteAction.HashPolicy.Builder p = RouteAction.HashPolicy.newBuilder();
        if (hash.key() instanceof ConsistentHash.Header h) {
            p.setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName(h.name()));
        } else if (hash.key() instanceof ConsistentHash.Cookie k) {
            RouteAction.HashPolicy.Cookie.Builder cookie = RouteAction.HashPolicy.Cookie.newBuilder().setName(k.name());
            if (!k.path().isEmpty()) {
                cookie.setPath(k.path());
            }
            k.ttl().ifPresent(t -> cookie.setTtl(com.google.protobuf.Duration.newBuilder()
                    .setSeconds(t.getSeconds()).setNanos(t.getNano())));
            p.setCookie(cookie);
        } else if (hash.key() instanceof ConsistentHash.SourceIp) {
            p.setConnectionProperties(RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true));
        } else if (hash.key() instanceof ConsistentHash.QueryParameter q) {
            p.setQueryParameter(RouteAction.HashPolicy.QueryParameter.newBuilder().setName(q.name()));
        }
        return List.of(p.build());
    }

    /**
     * The hash policy of the routes to each outbound cluster, as a proxy of {@code namespace} sees the
     * DestinationRules: the consistent hash of the rule's policy for the cluster's subset and port, else none.
     */
    static Function<OutboundName, List<RouteAction.HashPolicy>> forProxy(MeshConfig cfg, String namespace) {
        return name -> cfg.destinationRuleFor(name.host(), namespace)
                .flatMap(dr -> hashOf(dr, name))
                .map(ConsistentHashTranslator::hashPolicies)
                .orElse(List.of());
    }

    private static Optional<ConsistentHash> hashOf(DestinationRule dr, OutboundName name) {
        return dr.policyFor(name.subset(), name.port()).loadBalancer().flatMap(TrafficPolicy.LoadBalancer::consistentHash);
    }
}
