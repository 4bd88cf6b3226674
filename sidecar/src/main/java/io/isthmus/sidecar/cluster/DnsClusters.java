package io.isthmus.sidecar.cluster;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.isthmus.sidecar.endpoint.DnsLookupFamily;
import io.isthmus.sidecar.endpoint.EndpointState;
import io.isthmus.sidecar.endpoint.EndpointTranslator;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import java.time.Duration;

/** Reads the DNS settings of a STRICT_DNS or LOGICAL_DNS {@code Cluster} into a {@link DnsConfig}. */
final class DnsClusters {

    private DnsClusters() {
    }

    static DnsConfig config(Cluster c) throws InvalidResourceException {
        String name = c.getName();
        if (!c.hasLoadAssignment()) {
            throw invalid(name, "load_assignment", "a " + c.getType() + " cluster needs its endpoints");
        }
        if (c.getDnsResolversCount() > 0 || c.hasDnsResolutionConfig() || c.hasTypedDnsResolverConfig()) {
            throw invalid(name, "dns_resolvers", "custom DNS resolvers are not supported; the proxy uses the system resolver");
        }
        if (c.getUseTcpForDnsLookups()) {
            throw invalid(name, "use_tcp_for_dns_lookups", "not supported; the proxy uses the system resolver");
        }
        LoadAssignment targets;
        try {
            var cla = c.getLoadAssignment().getClusterName().isEmpty()
                    ? c.getLoadAssignment().toBuilder().setClusterName(name).build() : c.getLoadAssignment();
            targets = EndpointTranslator.translate(cla, a -> new EndpointState());
        } catch (InvalidResourceException e) {
            throw invalid(name, "load_assignment." + e.field(), e.reason());
        }
        if (c.getType() == Cluster.DiscoveryType.LOGICAL_DNS && targets.endpoints().size() != 1) {
            throw invalid(name, "load_assignment", "a LOGICAL_DNS cluster has exactly one endpoint, got " + targets.endpoints().size());
        }
        DnsLookupFamily family = switch (c.getDnsLookupFamily()) {
            case AUTO -> DnsLookupFamily.AUTO;
            case V4_ONLY -> DnsLookupFamily.V4_ONLY;
            case V6_ONLY -> DnsLookupFamily.V6_ONLY;
            case V4_PREFERRED -> DnsLookupFamily.V4_PREFERRED;
            case ALL -> DnsLookupFamily.ALL;
            default -> throw invalid(name, "dns_lookup_family", c.getDnsLookupFamily() + " is not supported");
        };
        Duration refresh = c.hasDnsRefreshRate() ? ClusterTranslator.duration(c.getDnsRefreshRate(), name, "dns_refresh_rate")
                : DnsConfig.DEFAULT_REFRESH;
        if (refresh.toMillis() < 1) {
            throw invalid(name, "dns_refresh_rate", "must be at least 1 ms");
        }
        Duration failure = refresh;
        if (c.hasDnsFailureRefreshRate() && c.getDnsFailureRefreshRate().hasBaseInterval()) {
            failure = ClusterTranslator.duration(c.getDnsFailureRefreshRate().getBaseInterval(), name,
                    "dns_failure_refresh_rate.base_interval");
            if (failure.toMillis() < 1) {
                throw invalid(name, "dns_failure_refresh_rate.base_interval", "must be at least 1 ms");
            }
        }
        return new DnsConfig(targets, refresh, failure, family);
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.CLUSTER, name, field, reason);
    }
}
