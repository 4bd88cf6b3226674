package io.isthmus.mesh;

/**
 * The keys of the Envoy {@code Node.metadata} struct by which a proxy tells the controller who it
 * is, the same keys Istio's proxies send. The node id has Istio's form
 * {@code <type>~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local}.
 */
public final class ProxyMetadata {
    /** The cluster the proxy runs in. */
    public static final String CLUSTER_ID = "CLUSTER_ID";
    /** The network the proxy sits on. */
    public static final String NETWORK = "NETWORK";
    /** The proxy's namespace. */
    public static final String NAMESPACE = "NAMESPACE";
    /** The proxy's service account. */
    public static final String SERVICE_ACCOUNT = "SERVICE_ACCOUNT";
    /** The workload (pod) name. */
    public static final String WORKLOAD_NAME = "WORKLOAD_NAME";
    /** The pod's IP addresses, comma separated. */
    public static final String INSTANCE_IPS = "INSTANCE_IPS";
    /** The pod's labels, a struct. */
    public static final String LABELS = "LABELS";
    /** Networks whose endpoints a gateway wants in its own view, comma separated. */
    public static final String REQUESTED_NETWORK_VIEW = "REQUESTED_NETWORK_VIEW";
    /** The service ports the workload serves, comma separated {@code port/protocol}. */
    public static final String SERVICE_PORTS = "ISTHMUS_SERVICE_PORTS";
    /**
     * The address a sidecar's outbound listeners bind and its DNS proxy answers mesh hostnames
     * with, when the pod has no network namespace of its own (the local runner's loopback mode);
     * absent = {@link XdsNames#OUTBOUND_BIND_ADDRESS}.
     */
    public static final String OUTBOUND_ADDRESS = "ISTHMUS_OUTBOUND_ADDRESS";
    /**
     * The address the app of a sidecar's pod listens on, where inbound clusters forward, when the
     * pod has no network namespace of its own; absent = {@code 127.0.0.1}.
     */
    public static final String APP_ADDRESS = "ISTHMUS_APP_ADDRESS";
    /**
     * How the pod's traffic reaches the sidecar (Istio's key): {@code TPROXY} (transparent capture by
     * {@code isthmus iptables}: the controller sends virtualOutbound/virtualInbound); absent or
     * {@code NONE}: explicit outbound listeners on {@link XdsNames#OUTBOUND_BIND_ADDRESS}.
     */
    public static final String INTERCEPTION_MODE = "INTERCEPTION_MODE";
    /**
     * Istio's proxy config in the node metadata (a struct); the proxy reads its {@code concurrency}: worker
     * threads (event loops), 0 = one per core ({@code proxy.istio.io/config: '{concurrency: 1}'}).
     */
    public static final String PROXY_CONFIG = "PROXY_CONFIG";
    /** Set to {@code grpc} by a proxyless gRPC client to ask for gRPC-shaped resources (Istio's convention). */
    public static final String GENERATOR = "GENERATOR";

    /** Node-id type of an application sidecar. */
    public static final String TYPE_SIDECAR = "sidecar";
    /** Node-id type of a gateway (east-west, ingress, egress). */
    public static final String TYPE_ROUTER = "router";

    private ProxyMetadata() {
    }

    /** Istio's node id: {@code sidecar~10.1.0.5~reviews-v1-0.default~default.svc.cluster.local}. */
    public static String nodeId(String type, String ip, String podName, String namespace) {
        return type + "~" + ip + "~" + podName + "." + namespace + "~" + namespace + "." + MeshLabels.DEFAULT_DOMAIN_SUFFIX;
    }
}
