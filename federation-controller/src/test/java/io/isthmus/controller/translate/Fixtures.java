package io.isthmus.controller.translate;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.isthmus.controller.config.ConfigException;
import io.isthmus.controller.config.ConfigFiles;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.ProxyMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The two-cluster scene in miniature: reviews in east (two zones) and west, on separate networks. */
final class Fixtures {
    /** A stand-in for the mesh root's PEM, for translations whose tests do not read it. */
    static final String ROOT_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    static final String REVIEWS = MeshLabels.serviceHostname("reviews", "default");
    static final ServicePort HTTP_9080 = new ServicePort("http", 9080, 9080, Protocol.HTTP);
    static final Locality EAST_A = Locality.of("us-east", "us-east-a");
    static final Locality EAST_B = Locality.of("us-east", "us-east-b");
    static final Locality WEST_A = Locality.of("us-west", "us-west-a");

    private Fixtures() {
    }

    static WorkloadEndpoint endpoint(String ip, String cluster, String network, Locality l, EndpointHealth h, String version) {
        return new WorkloadEndpoint(ip, Map.of("http", 9080), cluster, network, l, h, "reviews", "reviews-" + ip, "default",
                Map.of("app", "reviews", "version", version));
    }

    static FederatedService reviews(List<WorkloadEndpoint> eps) {
        List<ClusterService> parts = new ArrayList<>();
        for (String c : List.of("east", "west")) {
            List<WorkloadEndpoint> mine = eps.stream().filter(e -> e.cluster().equals(c)).toList();
            parts.add(new ClusterService(c, "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(), mine));
        }
        return FederatedService.merge(parts);
    }

    static Node node(String type, String ip, String pod, String cluster, String network, Locality l, String extraKey, String extraValue) {
        Struct.Builder md = Struct.newBuilder()
                .putFields(ProxyMetadata.CLUSTER_ID, str(cluster))
                .putFields(ProxyMetadata.NETWORK, str(network))
                .putFields(ProxyMetadata.NAMESPACE, str("default"))
                .putFields(ProxyMetadata.SERVICE_ACCOUNT, str("productpage"))
                .putFields(ProxyMetadata.INSTANCE_IPS, str(ip));
        if (extraKey != null) {
            md.putFields(extraKey, str(extraValue));
        }
        return Node.newBuilder()
                .setId(ProxyMetadata.nodeId(type, ip, pod, "default"))
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder()
                        .setRegion(l.region()).setZone(l.zone()).setSubZone(l.subZone()))
                .setMetadata(md)
                .build();
    }

    static ProxyView sidecar(String ip, String cluster, String network, Locality l) {
        return ProxyView.fromNode(node("sidecar", ip, "productpage-0", cluster, network, l, null, null));
    }

    /**
     * The transport socket a cluster speaks to an endpoint with a sidecar ({@code tlsMode: istio}): its
     * {@code tlsMode-istio} match under auto mTLS, else its own {@code transport_socket}; empty for plaintext.
     */
    static java.util.Optional<io.envoyproxy.envoy.config.core.v3.TransportSocket> meshSocket(
            io.envoyproxy.envoy.config.cluster.v3.Cluster c) {
        for (var m : c.getTransportSocketMatchesList()) {
            Value mode = m.getMatch().getFieldsMap().get("tlsMode");
            if (mode != null && mode.getStringValue().equals("istio")) {
                return java.util.Optional.of(m.getTransportSocket());
            }
        }
        return c.hasTransportSocket() ? java.util.Optional.of(c.getTransportSocket()) : java.util.Optional.empty();
    }

    /** The mesh mTLS context of a cluster ({@link #meshSocket}); fails when it speaks plaintext. */
    static io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext meshTls(
            io.envoyproxy.envoy.config.cluster.v3.Cluster c) throws com.google.protobuf.InvalidProtocolBufferException {
        return meshSocket(c).orElseThrow(() -> new AssertionError(c.getName() + " speaks plaintext")).getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.class);
    }

    static Value str(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }

    /** The translator of a registry and an Istio config registry, for trust domain {@code cluster.local}. */
    static MeshTranslator translator(InMemoryRegistry registry, ConfigRegistry config) {
        return new MeshTranslator(registry, "cluster.local", () -> ROOT_PEM, config::current);
    }

    /**
     * Applies every document of {@code yaml} to {@code config} (source {@code test}) and invalidates the
     * translator's cache.
     *
     * @return the last refusal, or null when every document was accepted
     */
    static ConfigException apply(ConfigRegistry config, MeshTranslator translator, String yaml) {
        ConfigException last = null;
        for (var res : ConfigFiles.parse(yaml, "test")) {
            ConfigException e = config.upsert("test", res);
            last = e != null ? e : last;
        }
        translator.invalidate();
        return last;
    }

    /** Applies the MeshConfig (ConfigMap {@code istio} of the root namespace) whose {@code mesh} key is one YAML line. */
    static ConfigException applyMesh(ConfigRegistry config, MeshTranslator translator, String meshLine) {
        return apply(config, translator, """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: isthmus-system}
                data:
                  mesh: |
                    %s
                """.formatted(meshLine));
    }
}
