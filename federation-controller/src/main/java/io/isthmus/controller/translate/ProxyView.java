package io.isthmus.controller.translate;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.ProxyMetadata;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who a connected proxy is, as far as translation cares: read once from the Envoy {@code Node} it
 * sends on its first discovery request.
 *
 * @param nodeId the node id, Istio's {@code <type>~<ip>~<pod>.<ns>~<ns>.svc.cluster.local} or any
 *     string for proxyless clients
 * @param type sidecar or router (gateway)
 * @param generator which resource shapes the proxy understands
 * @param clusterId the cluster the proxy runs in; empty when not told
 * @param network the network the proxy sits on; empty when not told (then every endpoint counts as
 *     reachable directly)
 * @param locality the proxy's locality; {@link Locality#UNKNOWN} when not told
 * @param namespace the proxy's namespace; empty when not told
 * @param serviceAccount the proxy's service account; empty when not told
 * @param podName the pod (workload) name; empty when not told
 * @param ips the pod's IP addresses, first is primary; may be empty
 * @param labels the pod's labels
 * @param requestedNetworks networks whose endpoints a gateway serves (REQUESTED_NETWORK_VIEW)
 * @param declaredPorts the pod ports the proxy declares it serves ({@code ISTHMUS_SERVICE_PORTS},
 *     {@code port/protocol}), container port to protocol name; used for inbound listeners when the
 *     registry does not know the pod yet
 * @param peerIdentity the SPIFFE ID the proxy proved with its ADS client certificate; empty when it
 *     presented none (set by the transport, not by the node)
 * @param outboundAddress where the sidecar's outbound listeners bind
 *     ({@link ProxyMetadata#OUTBOUND_ADDRESS}); empty = {@link io.isthmus.mesh.XdsNames#OUTBOUND_BIND_ADDRESS}
 * @param appAddress where the pod's app listens, the inbound clusters' endpoint
 *     ({@link ProxyMetadata#APP_ADDRESS}); empty = {@code 127.0.0.1}
 * @param interceptionMode how the pod's traffic reaches the sidecar ({@link ProxyMetadata#INTERCEPTION_MODE})
 */
public record ProxyView(
        String nodeId,
        ProxyType type,
        Generator generator,
        String clusterId,
        String network,
        Locality locality,
        String namespace,
        String serviceAccount,
        String podName,
        List<String> ips,
        Map<String, String> labels,
        Set<String> requestedNetworks,
        Map<Integer, String> declaredPorts,
        String peerIdentity,
        String outboundAddress,
        String appAddress,
        InterceptionMode interceptionMode) {

    /** How a pod's traffic reaches its sidecar (Istio's {@code INTERCEPTION_MODE}). */
    public enum InterceptionMode {
        /** No capture: the app calls the outbound listeners the DNS proxy points it at (the default). */
        NONE,
        /**
         * iptables REDIRECT capture (Istio's default): virtualOutbound (15001) and virtualInbound
         * (15006) take every connection, the proxy reads the original destination with SO_ORIGINAL_DST.
         */
        REDIRECT,
        /** TPROXY capture: as REDIRECT, with transparent sockets ({@code transparent: true}). */
        TPROXY;

        /** {@code REDIRECT} or {@code TPROXY} (any case); anything else is NONE. */
        static InterceptionMode parse(String s) {
            String m = s.trim();
            return "TPROXY".equalsIgnoreCase(m) ? TPROXY : "REDIRECT".equalsIgnoreCase(m) ? REDIRECT : NONE;
        }
    }

    /** The kind of proxy, the first field of Istio's node id. */
    public enum ProxyType {
        /** An application sidecar. */
        SIDECAR,
        /** A gateway: east-west, ingress or egress. */
        ROUTER
    }

    /** The resource shapes a proxy consumes. */
    public enum Generator {
        /** Envoy-shaped resources (sidecars and gateways of the mesh). */
        ENVOY,
        /** Proxyless gRPC: API listeners named {@code host:port}, no TLS in the plaintext case. */
        GRPC
    }

    public ProxyView {
        Objects.requireNonNull(nodeId, "nodeId");
        if (nodeId.isBlank()) {
            throw new IllegalArgumentException("node id must not be empty");
        }
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(generator, "generator");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(locality, "locality");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(serviceAccount, "serviceAccount");
        Objects.requireNonNull(podName, "podName");
        ips = List.copyOf(ips);
        labels = Map.copyOf(labels);
        requestedNetworks = Set.copyOf(requestedNetworks);
        declaredPorts = Map.copyOf(declaredPorts);
        Objects.requireNonNull(peerIdentity, "peerIdentity");
        Objects.requireNonNull(outboundAddress, "outboundAddress");
        Objects.requireNonNull(appAddress, "appAddress");
        Objects.requireNonNull(interceptionMode, "interceptionMode");
    }

    /** This view with the identity the proxy proved on its connection. */
    public ProxyView withPeerIdentity(String spiffeId) {
        return new ProxyView(nodeId, type, generator, clusterId, network, locality, namespace, serviceAccount, podName,
                ips, labels, requestedNetworks, declaredPorts, spiffeId, outboundAddress, appAddress, interceptionMode);
    }

    /** The namespace of {@link #peerIdentity()} ({@code spiffe://<td>/ns/<ns>/sa/<sa>}), empty when none. */
    public String peerNamespace() {
        int at = peerIdentity.indexOf("/ns/");
        if (at < 0) {
            return "";
        }
        int end = peerIdentity.indexOf('/', at + 4);
        return end < 0 ? "" : peerIdentity.substring(at + 4, end);
    }

    /** Whether this is an ingress or egress gateway: a router without a requested network view. */
    public boolean isEdgeGateway() {
        return type == ProxyType.ROUTER && requestedNetworks.isEmpty();
    }

    /**
     * Reads a view from an Envoy node.
     *
     * @throws IllegalArgumentException when the node has no id or a malformed Istio node id
     */
    public static ProxyView fromNode(Node node) {
        Objects.requireNonNull(node, "node");
        String id = node.getId();
        if (id.isBlank()) {
            throw new IllegalArgumentException("node.id is empty");
        }
        Map<String, Value> md = node.getMetadata().getFieldsMap();
        Generator generator = "grpc".equalsIgnoreCase(string(md, ProxyMetadata.GENERATOR)) ? Generator.GRPC : Generator.ENVOY;
        ProxyType type = ProxyType.SIDECAR;
        String idIp = "";
        String idPod = "";
        String idNs = "";
        String[] parts = id.split("~", -1);
        if (parts.length == 4) {
            type = switch (parts[0]) {
                case ProxyMetadata.TYPE_SIDECAR -> ProxyType.SIDECAR;
                case ProxyMetadata.TYPE_ROUTER -> ProxyType.ROUTER;
                default -> throw new IllegalArgumentException("node.id " + id + ": unknown proxy type '" + parts[0] + "'");
            };
            idIp = parts[1];
            int dot = parts[2].lastIndexOf('.');
            idPod = dot > 0 ? parts[2].substring(0, dot) : parts[2];
            idNs = dot > 0 ? parts[2].substring(dot + 1) : "";
        } else if (generator == Generator.ENVOY && id.contains("~")) {
            throw new IllegalArgumentException("node.id " + id + ": expected <type>~<ip>~<pod>.<ns>~<domain>");
        }
        List<String> ips = csv(string(md, ProxyMetadata.INSTANCE_IPS));
        if (ips.isEmpty() && !idIp.isEmpty()) {
            ips = List.of(idIp);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        Value lv = md.get(ProxyMetadata.LABELS);
        if (lv != null && lv.hasStructValue()) {
            Struct s = lv.getStructValue();
            s.getFieldsMap().forEach((k, v) -> labels.put(k, v.getStringValue()));
        }
        io.envoyproxy.envoy.config.core.v3.Locality l = node.getLocality();
        return new ProxyView(
                id,
                type,
                generator,
                string(md, ProxyMetadata.CLUSTER_ID),
                string(md, ProxyMetadata.NETWORK),
                new Locality(l.getRegion(), l.getZone(), l.getSubZone()),
                firstNonEmpty(string(md, ProxyMetadata.NAMESPACE), idNs),
                string(md, ProxyMetadata.SERVICE_ACCOUNT),
                firstNonEmpty(string(md, ProxyMetadata.WORKLOAD_NAME), idPod),
                ips,
                labels,
                new TreeSet<>(csv(string(md, ProxyMetadata.REQUESTED_NETWORK_VIEW))),
                declaredPorts(id, string(md, ProxyMetadata.SERVICE_PORTS)),
                "",
                ipLiteral(id, md, ProxyMetadata.OUTBOUND_ADDRESS),
                ipLiteral(id, md, ProxyMetadata.APP_ADDRESS),
                InterceptionMode.parse(string(md, ProxyMetadata.INTERCEPTION_MODE)));
    }

    /** The bind address of outbound listeners: {@link #outboundAddress()} or the default {@code 127.0.0.2}. */
    public String outboundBindAddress() {
        return outboundAddress.isEmpty() ? io.isthmus.mesh.XdsNames.OUTBOUND_BIND_ADDRESS : outboundAddress;
    }

    /** Where inbound clusters send: {@link #appAddress()} or the default {@code 127.0.0.1}. */
    public String appEndpointAddress() {
        return appAddress.isEmpty() ? "127.0.0.1" : appAddress;
    }

    /** An IPv4 literal from metadata, or empty when absent. */
    private static String ipLiteral(String id, Map<String, Value> md, String key) {
        String v = string(md, key);
        if (v.isEmpty()) {
            return v;
        }
        String[] octets = v.split("\\.", -1);
        boolean ok = octets.length == 4;
        for (int i = 0; ok && i < 4; i++) {
            ok = octets[i].matches("\\d{1,3}") && Integer.parseInt(octets[i]) <= 255;
        }
        if (!ok) {
            throw new IllegalArgumentException("node " + id + ": " + key + " '" + v + "' is not an IPv4 address");
        }
        return v;
    }

    /** The primary pod IP, or empty. */
    public String primaryIp() {
        return ips.isEmpty() ? "" : ips.get(0);
    }

    /** The networks whose local endpoints a router serves: its requested view, else its own network. */
    public Set<String> servedNetworks() {
        if (!requestedNetworks.isEmpty()) {
            return requestedNetworks;
        }
        return network.isEmpty() ? Set.of() : Set.of(network);
    }

    /** A short label for logs: {@code [east/default/reviews-v1-0]}. */
    public String label() {
        return "[" + clusterId + "/" + namespace + "/" + (podName.isEmpty() ? nodeId : podName) + "]";
    }

    private static Map<Integer, String> declaredPorts(String id, String s) {
        Map<Integer, String> out = new java.util.TreeMap<>();
        for (String item : csv(s)) {
            int slash = item.indexOf('/');
            String num = slash < 0 ? item : item.substring(0, slash);
            try {
                int port = Integer.parseInt(num);
                if (port < 1 || port > 65535) {
                    throw new NumberFormatException();
                }
                out.put(port, slash < 0 ? "" : item.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("node " + id + ": " + ProxyMetadata.SERVICE_PORTS + " entry '" + item
                        + "' is not <port>/<protocol>");
            }
        }
        return out;
    }

    private static String string(Map<String, Value> md, String key) {
        Value v = md.get(key);
        return v == null ? "" : v.getStringValue().trim();
    }

    private static List<String> csv(String s) {
        if (s.isBlank()) {
            return List.of();
        }
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    private static String firstNonEmpty(String a, String b) {
        return a.isEmpty() ? b : a;
    }
}
