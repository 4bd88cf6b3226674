package io.isthmus.e2e.local;

import io.isthmus.e2e.demo.Json;
import io.isthmus.mesh.ProxyMetadata;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The Envoy bootstrap the runner writes for a proxy (sidecar or gateway): node id, cluster,
 * locality and metadata as Istio's injector sets them, a static {@code xds-grpc} cluster pointing
 * at the control plane's secure port, and ADS for LDS and CDS.
 *
 * @param type         {@link ProxyMetadata#TYPE_SIDECAR} or {@link ProxyMetadata#TYPE_ROUTER}
 * @param podName      the pod name
 * @param namespace    the pod namespace
 * @param podIp        the pod IP
 * @param workload     the workload/service name ({@code node.cluster})
 * @param cluster      the cluster id
 * @param network      the network
 * @param region       locality region
 * @param zone         locality zone
 * @param subzone      locality subzone
 * @param serviceAccount the service account
 * @param labels       pod labels
 * @param servicePorts {@code port/protocol} list, comma separated (what the pod serves), may be empty
 * @param xdsHost      control plane address
 * @param xdsPort      control plane secure port (15012)
 * @param networkView  whether the node asks for its network's view ({@code REQUESTED_NETWORK_VIEW}):
 *                     an east-west gateway does; sidecars and the ingress and egress gateways
 *                     (routers configured by {@code Gateway} resources) do not
 * @param extraMetadata further string metadata, e.g. {@link ProxyMetadata#OUTBOUND_ADDRESS} and
 *                     {@link ProxyMetadata#APP_ADDRESS} of a pod without its own network namespace
 */
public record Bootstrap(String type, String podName, String namespace, String podIp, String workload, String cluster,
                        String network, String region, String zone, String subzone, String serviceAccount,
                        Map<String, String> labels, String servicePorts, String xdsHost, int xdsPort, boolean networkView,
                        Map<String, String> extraMetadata) {
    public Bootstrap {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(podName, "podName");
        Objects.requireNonNull(xdsHost, "xdsHost");
        labels = Map.copyOf(labels);
        extraMetadata = Map.copyOf(extraMetadata);
        if (networkView && !ProxyMetadata.TYPE_ROUTER.equals(type)) {
            throw new IllegalArgumentException("networkView: only a router node asks for a network view, not " + type);
        }
    }

    /** A bootstrap without extra metadata. */
    public Bootstrap(String type, String podName, String namespace, String podIp, String workload, String cluster,
                     String network, String region, String zone, String subzone, String serviceAccount,
                     Map<String, String> labels, String servicePorts, String xdsHost, int xdsPort, boolean networkView) {
        this(type, podName, namespace, podIp, workload, cluster, network, region, zone, subzone, serviceAccount, labels,
                servicePorts, xdsHost, xdsPort, networkView, Map.of());
    }

    /** The same bootstrap with {@code more} metadata (string values; later keys win). */
    public Bootstrap withMetadata(Map<String, String> more) {
        Map<String, String> m = new java.util.TreeMap<>(extraMetadata);
        m.putAll(more);
        return new Bootstrap(type, podName, namespace, podIp, workload, cluster, network, region, zone, subzone, serviceAccount,
                labels, servicePorts, xdsHost, xdsPort, networkView, m);
    }

    /** A sidecar's bootstrap, or an east-west gateway's (every router node here asks for its network's view). */
    public Bootstrap(String type, String podName, String namespace, String podIp, String workload, String cluster,
                     String network, String region, String zone, String subzone, String serviceAccount,
                     Map<String, String> labels, String servicePorts, String xdsHost, int xdsPort) {
        this(type, podName, namespace, podIp, workload, cluster, network, region, zone, subzone, serviceAccount, labels,
                servicePorts, xdsHost, xdsPort, ProxyMetadata.TYPE_ROUTER.equals(type));
    }

    /**
     * The controller's name: the SNI of the xDS/CA connection (a primary's gateway passes
     * connections with this SNI to its controller) and the DNS SAN the controller's certificate carries.
     */
    public static final String CONTROLLER_NAME = "isthmus-controller." + io.isthmus.mesh.MeshLabels.SYSTEM_NAMESPACE + ".svc";

    /** The node id, {@link ProxyMetadata#nodeId}. */
    public String nodeId() {
        return ProxyMetadata.nodeId(type, podIp, podName, namespace);
    }

    /** The bootstrap as JSON (also valid YAML). */
    public String toJson() {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put(ProxyMetadata.CLUSTER_ID, cluster);
        meta.put(ProxyMetadata.NETWORK, network);
        meta.put(ProxyMetadata.NAMESPACE, namespace);
        meta.put(ProxyMetadata.SERVICE_ACCOUNT, serviceAccount);
        meta.put(ProxyMetadata.WORKLOAD_NAME, podName);
        meta.put(ProxyMetadata.INSTANCE_IPS, podIp);
        meta.put(ProxyMetadata.LABELS, new Json.Raw(Json.object(new java.util.TreeMap<>(labels))));
        if (!servicePorts.isEmpty()) {
            meta.put(ProxyMetadata.SERVICE_PORTS, servicePorts);
        }
        if (networkView) {
            meta.put(ProxyMetadata.REQUESTED_NETWORK_VIEW, network);
        }
        new java.util.TreeMap<>(extraMetadata).forEach(meta::put);
        String locality = Json.object(Map.of("region", region, "zone", zone, "sub_zone", subzone));
        String node = Json.object(mapOf("id", nodeId(), "cluster", workload, "locality", new Json.Raw(locality),
                "metadata", new Json.Raw(Json.object(meta))));
        return """
                {
                  "node": %s,
                  "static_resources": {
                    "clusters": [{
                      "name": "xds-grpc",
                      "type": "STATIC",
                      "connect_timeout": "1s",
                      "transport_socket": {
                        "name": "envoy.transport_sockets.tls",
                        "typed_config": {
                          "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                          "sni": %s
                        }
                      },
                      "typed_extension_protocol_options": {
                        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                          "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                          "explicit_http_config": {"http2_protocol_options": {}}
                        }
                      },
                      "load_assignment": {
                        "cluster_name": "xds-grpc",
                        "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": %s, "port_value": %d}}}}]}]
                      }
                    }]
                  },
                  "dynamic_resources": {
                    "ads_config": {"api_type": "GRPC", "transport_api_version": "V3", "grpc_services": [{"envoy_grpc": {"cluster_name": "xds-grpc"}}]},
                    "cds_config": {"ads": {}, "resource_api_version": "V3"},
                    "lds_config": {"ads": {}, "resource_api_version": "V3"}
                  }
                }
                """.formatted(node, Json.str(CONTROLLER_NAME), Json.str(xdsHost), xdsPort);
    }

    private static Map<String, Object> mapOf(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
