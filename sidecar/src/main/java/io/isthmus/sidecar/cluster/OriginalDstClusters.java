package io.isthmus.sidecar.cluster;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.BindConfig;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import java.net.InetAddress;
import java.util.Optional;

/**
 * The CDS fields of Istio's passthrough clusters: {@code type: ORIGINAL_DST} with
 * {@code lb_policy: CLUSTER_PROVIDED} (each connection goes to its downstream connection's original
 * destination), {@code original_dst_lb_config} (only its defaults are honoured) and
 * {@code upstream_bind_config.source_address} (the local address upstream connections are bound
 * to, e.g. Istio's {@code 127.0.0.6} for inbound passthrough). Whatever would change behaviour and
 * is not honoured is refused naming the field.
 */
final class OriginalDstClusters {

    private OriginalDstClusters() {
    }

    /**
     * Checks the load-balancing fields that belong to ORIGINAL_DST clusters.
     *
     * @param originalDst whether the cluster's type is ORIGINAL_DST
     */
    static void validate(Cluster c, boolean originalDst) throws InvalidResourceException {
        String name = c.getName();
        boolean clusterProvided = c.getLbPolicy() == Cluster.LbPolicy.CLUSTER_PROVIDED;
        if (originalDst && !clusterProvided) {
            throw invalid(name, "lb_policy", c.getLbPolicy() + " is not valid for an ORIGINAL_DST cluster: only CLUSTER_PROVIDED is");
        }
        if (!originalDst && clusterProvided) {
            throw invalid(name, "lb_policy", "CLUSTER_PROVIDED is only valid for ORIGINAL_DST clusters");
        }
        if (!originalDst) {
            if (c.hasOriginalDstLbConfig()) {
                throw invalid(name, "original_dst_lb_config", "only valid for ORIGINAL_DST clusters");
            }
            return;
        }
        if (c.hasLoadAssignment() && c.getLoadAssignment().getEndpointsCount() > 0) {
            throw invalid(name, "load_assignment", "an ORIGINAL_DST cluster must have no endpoints");
        }
        if (c.hasEdsClusterConfig()) {
            throw invalid(name, "eds_cluster_config", "only valid for EDS clusters");
        }
        if (!c.hasOriginalDstLbConfig()) {
            return;
        }
        Cluster.OriginalDstLbConfig o = c.getOriginalDstLbConfig();
        if (o.getUseHttpHeader()) {
            throw invalid(name, "original_dst_lb_config.use_http_header",
                    "not supported: the destination is always the downstream connection's original destination");
        }
        if (!o.getHttpHeaderName().isEmpty()) {
            throw invalid(name, "original_dst_lb_config.http_header_name", "not supported (use_http_header is not)");
        }
        if (o.hasUpstreamPortOverride()) {
            throw invalid(name, "original_dst_lb_config.upstream_port_override", "not supported");
        }
        if (o.hasMetadataKey()) {
            throw invalid(name, "original_dst_lb_config.metadata_key", "not supported");
        }
    }

    /** The IP address {@code upstream_bind_config} binds upstream connections to, if any. */
    static Optional<String> sourceAddress(Cluster c) throws InvalidResourceException {
        if (!c.hasUpstreamBindConfig()) {
            return Optional.empty();
        }
        String name = c.getName();
        BindConfig b = c.getUpstreamBindConfig();
        if (b.hasFreebind() && b.getFreebind().getValue()) {
            throw invalid(name, "upstream_bind_config.freebind", "not supported");
        }
        if (b.getSocketOptionsCount() > 0) {
            throw invalid(name, "upstream_bind_config.socket_options", "not supported");
        }
        if (b.getExtraSourceAddressesCount() > 0) {
            throw invalid(name, "upstream_bind_config.extra_source_addresses", "not supported");
        }
        if (b.getAdditionalSourceAddressesCount() > 0) {
            throw invalid(name, "upstream_bind_config.additional_source_addresses", "not supported");
        }
        if (b.hasLocalAddressSelector()) {
            throw invalid(name, "upstream_bind_config.local_address_selector", "not supported");
        }
        if (!b.hasSourceAddress()) {
            return Optional.empty();
        }
        var sa = b.getSourceAddress();
        if (sa.getPortValue() != 0 || !sa.getNamedPort().isEmpty()) {
            throw invalid(name, "upstream_bind_config.source_address.port_value", "only port 0 (any local port) is supported");
        }
        if (!sa.getResolverName().isEmpty()) {
            throw invalid(name, "upstream_bind_config.source_address.resolver_name", "not supported");
        }
        String ip = sa.getAddress();
        if (!isIpLiteral(ip)) {
            throw invalid(name, "upstream_bind_config.source_address.address", "must be an IP address: '" + ip + "'");
        }
        return Optional.of(ip);
    }

    private static boolean isIpLiteral(String s) {
        if (s.isEmpty() || !(s.indexOf(':') >= 0 || s.chars().allMatch(ch -> ch == '.' || Character.isDigit(ch)))) {
            return false;
        }
        try {
            InetAddress.getByName(s); // a literal: no lookup
            return true;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.CLUSTER, name, field, reason);
    }
}
