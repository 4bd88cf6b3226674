package io.isthmus.sidecar.capture;

import static io.isthmus.sidecar.capture.CaptureNamespaces.NODE_IP;
import static io.isthmus.sidecar.capture.CaptureNamespaces.POD_IP;

/** The proxy bootstrap of the capture scenario ({@link CaptureNamespaces}): Istio's capture listeners and clusters as static resources. */
final class CaptureBootstrap {

    private CaptureBootstrap() {
    }

    /**
     * Istio's capture shapes ({@code transparent: true} on both virtual listeners in TPROXY mode only):
     * under ALLOW_ANY virtualOutbound's last chain and the routes' last
     * virtual host ({@code allow_any}) go to PassthroughCluster, under REGISTRY_ONLY to
     * BlackHoleCluster and {@code block_all}; virtualInbound ends with InboundPassthroughClusterIpv4
     * chains as Istio's PERMISSIVE pair (mTLS terminated, or plaintext).
     */
    static String yaml(CaptureMode mode, CaptureNamespaces.Stack stack, boolean allowAny) {
        boolean dual = stack == CaptureNamespaces.Stack.DUAL;
        String transparent = mode == CaptureMode.TPROXY ? "transparent: true" : "transparent: false";
        String hcm = """
                      - name: envoy.filters.network.http_connection_manager
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                          stat_prefix: %s
                          route_config:
                            virtual_hosts: [{name: %s, domains: [%s], routes: [{match: {prefix: /}, route: {cluster: "%s"}}]}]
                          http_filters:
                          - name: envoy.filters.http.router
                            typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
                """;
        String outbound = """
                      - name: envoy.filters.network.http_connection_manager
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                          stat_prefix: outbound_0.0.0.0_9080
                          route_config:
                            virtual_hosts:
                            - {name: reviews, domains: [reviews, "reviews:9080"], routes: [{match: {prefix: /}, route: {cluster: "outbound|9080||reviews.default.svc.cluster.local"}}]}
                            - %s
                          http_filters:
                          - name: envoy.filters.http.router
                            typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
                """;
        return """
                node:
                  id: sidecar~%1$s~app-0.default~default.svc.cluster.local
                  metadata: {NAMESPACE: default, SERVICE_ACCOUNT: app, INTERCEPTION_MODE: %6$s}
                static_resources:
                  listeners:
                  - name: virtualOutbound
                    address: {socket_address: {address: 0.0.0.0, port_value: 15001}}
                    use_original_dst: true
                    %7$s%8$s
                    traffic_direction: OUTBOUND
                    filter_chains:
                    - name: %5$s
                      filters:
                      - name: envoy.filters.network.tcp_proxy
                        typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: %5$s, cluster: %5$s}
                  - name: 0.0.0.0_9080
                    address: {socket_address: {address: 0.0.0.0, port_value: 9080}}
                    bind_to_port: false
                    traffic_direction: OUTBOUND
                    filter_chains:
                    - filters:
                %2$s
                  - name: virtualInbound
                    address: {socket_address: {address: 0.0.0.0, port_value: 15006}}
                    %7$s%9$s
                    traffic_direction: INBOUND
                    listener_filters:
                    - name: envoy.filters.listener.original_dst
                      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst}
                    - name: envoy.filters.listener.tls_inspector
                      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector}
                    filter_chains:
                    - name: 0.0.0.0_8080
                      filter_chain_match: {destination_port: 8080}
                      filters:
                %3$s
                    - name: InboundPassthroughClusterIpv4_mtls
                      filter_chain_match: {transport_protocol: tls, prefix_ranges: [{address_prefix: 0.0.0.0, prefix_len: 0}]}
                      transport_socket:
                        name: envoy.transport_sockets.tls
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
                          require_client_certificate: true
                          common_tls_context:
                            tls_certificate_sds_secret_configs: [{name: default}]
                            validation_context_sds_secret_config: {name: ROOTCA}
                      filters:
                      - name: envoy.filters.network.tcp_proxy
                        typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: InboundPassthroughClusterIpv4, cluster: InboundPassthroughClusterIpv4}
                    - name: InboundPassthroughClusterIpv4_plaintext
                      filter_chain_match: {transport_protocol: raw_buffer, prefix_ranges: [{address_prefix: 0.0.0.0, prefix_len: 0}]}
                      filters:
                      - name: envoy.filters.network.tcp_proxy
                        typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: InboundPassthroughClusterIpv4, cluster: InboundPassthroughClusterIpv4}
                %10$s
                  clusters:
                  - name: "outbound|9080||reviews.default.svc.cluster.local"
                    type: STATIC
                    connect_timeout: 1s
                    load_assignment:
                      cluster_name: "outbound|9080||reviews.default.svc.cluster.local"
                      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: %4$s, port_value: 9080}}}}]}]
                  - name: "inbound|8080||"
                    type: STATIC
                    connect_timeout: 1s
                    load_assignment:
                      cluster_name: "inbound|8080||"
                      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 8080}}}}]}]
                  - name: BlackHoleCluster
                    type: STATIC
                    connect_timeout: 1s
                    load_assignment: {cluster_name: BlackHoleCluster}
                  - name: PassthroughCluster
                    type: ORIGINAL_DST
                    lb_policy: CLUSTER_PROVIDED
                    connect_timeout: 1s
                  - name: InboundPassthroughClusterIpv4
                    type: ORIGINAL_DST
                    lb_policy: CLUSTER_PROVIDED
                    connect_timeout: 1s
                    upstream_bind_config: {source_address: {address: 127.0.0.6, port_value: 0}}
                %11$s
                """.formatted(POD_IP,
                outbound.formatted(allowAny ? "{name: allow_any, domains: [\"*\"], routes: [{match: {prefix: /}, route: {cluster: PassthroughCluster}}]}"
                        : "{name: block_all, domains: [\"*\"], routes: [{match: {prefix: /}, direct_response: {status: 502}}]}"),
                hcm.formatted("inbound_0.0.0.0_8080", "inbound", "\"*\"", "inbound|8080||"),
                NODE_IP, allowAny ? "PassthroughCluster" : "BlackHoleCluster", mode, transparent,
                dual ? "\n    additional_addresses: [{address: {socket_address: {address: \"::\", port_value: 15001}}}]" : "",
                dual ? "\n    additional_addresses: [{address: {socket_address: {address: \"::\", port_value: 15006}}}]" : "",
                dual ? ipv6PassthroughChains() : "",
                dual ? """
                  - name: InboundPassthroughClusterIpv6
                    type: ORIGINAL_DST
                    lb_policy: CLUSTER_PROVIDED
                    connect_timeout: 1s
                    upstream_bind_config: {source_address: {address: "::6", port_value: 0}}""".indent(2) : "");
    }

    /** Istio's IPv6 inbound passthrough chains of a dual-stack virtualInbound (PERMISSIVE pair, {@code ::/0}). */
    private static String ipv6PassthroughChains() {
        return """
                    - name: InboundPassthroughClusterIpv6_mtls
                      filter_chain_match: {transport_protocol: tls, prefix_ranges: [{address_prefix: "::", prefix_len: 0}]}
                      transport_socket:
                        name: envoy.transport_sockets.tls
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
                          require_client_certificate: true
                          common_tls_context:
                            tls_certificate_sds_secret_configs: [{name: default}]
                            validation_context_sds_secret_config: {name: ROOTCA}
                      filters:
                      - name: envoy.filters.network.tcp_proxy
                        typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: InboundPassthroughClusterIpv6, cluster: InboundPassthroughClusterIpv6}
                    - name: InboundPassthroughClusterIpv6_plaintext
                      filter_chain_match: {transport_protocol: raw_buffer, prefix_ranges: [{address_prefix: "::", prefix_len: 0}]}
                      filters:
                      - name: envoy.filters.network.tcp_proxy
                        typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: InboundPassthroughClusterIpv6, cluster: InboundPassthroughClusterIpv6}""".indent(4);
    }
}
