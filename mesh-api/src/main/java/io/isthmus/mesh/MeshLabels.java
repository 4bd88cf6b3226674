package io.isthmus.mesh;

/** Kubernetes labels and annotations the mesh reads and writes. */
public final class MeshLabels {
    /** Node label: region of the node's locality. */
    public static final String REGION = "topology.kubernetes.io/region";
    /** Node label: zone of the node's locality. */
    public static final String ZONE = "topology.kubernetes.io/zone";
    /** Node label: subzone of the node's locality. */
    public static final String SUBZONE = "topology.istio.io/subzone";
    /** Namespace or pod label: the network the workload sits on. */
    public static final String NETWORK = "topology.istio.io/network";
    /** The cluster a workload belongs to. */
    public static final String CLUSTER = "topology.istio.io/cluster";
    /** Secret label that makes a Secret a remote secret (Istio's). */
    public static final String MULTI_CLUSTER = "istio/multiCluster";
    /** Isthmus's own remote-secret label, set beside Istio's. */
    public static final String ISTHMUS_REMOTE_SECRET = "isthmus.io/remote-secret";
    /** Secret annotation naming the cluster whose API server the kubeconfig reaches. */
    public static final String CLUSTER_NAME_ANNOTATION = "networking.istio.io/cluster";
    /** Namespace of the control plane. */
    public static final String SYSTEM_NAMESPACE = "isthmus-system";
    /** Pod label: application name. */
    public static final String APP = "app";
    /** Pod label: version, used by subsets. */
    public static final String VERSION = "version";
    /**
     * Pod label (Istio's, set where a sidecar is injected): {@value #TLS_MODE_ISTIO} when the pod runs a
     * sidecar that takes the mesh's mTLS, {@value #TLS_MODE_DISABLED} when it does not. Callers speak mTLS
     * only to endpoints labelled {@value #TLS_MODE_ISTIO} under auto mTLS.
     */
    public static final String TLS_MODE = "security.istio.io/tlsMode";
    /** {@link #TLS_MODE} of a pod with a sidecar. */
    public static final String TLS_MODE_ISTIO = "istio";
    /** {@link #TLS_MODE} of a pod without one: it is called in plaintext. */
    public static final String TLS_MODE_DISABLED = "disabled";
    /** Default DNS suffix of Kubernetes services. */
    public static final String DEFAULT_DOMAIN_SUFFIX = "svc.cluster.local";

    private MeshLabels() {
    }

    /** The hostname of a Kubernetes service: {@code <name>.<namespace>.svc.cluster.local}. */
    public static String serviceHostname(String name, String namespace) {
        return name + "." + namespace + "." + DEFAULT_DOMAIN_SUFFIX;
    }

    /** The SPIFFE ID string of a service account: {@code spiffe://<td>/ns/<ns>/sa/<sa>}. */
    public static String spiffeId(String trustDomain, String namespace, String serviceAccount) {
        return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
    }
}
