package io.isthmus.controller.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.isthmus.controller.config.ConfigFiles;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.controller.translate.MeshTranslator;
import io.isthmus.controller.translate.ProxyResources;
import io.isthmus.controller.translate.ProxyView;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.ProxyMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** config_dump JSON knows every type the controller packs into an Any, for sidecars and gateways alike. */
class DebugJsonTest {
    private static final String ROOT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private static final Locality EAST_A = Locality.of("us-east", "us-east-a");
    private static final String REVIEWS = MeshLabels.serviceHostname("reviews", "default");
    private static final String DB = MeshLabels.serviceHostname("db", "default");

    private static final String CONFIG = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: edge
              namespace: istio-system
              annotations:
                isthmus.io/rate-limit-per-client: "5/m"
                isthmus.io/max-connections: "200"
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: ["*"]
              - port: {number: 8443, name: https, protocol: HTTPS}
                hosts: [a.example.com]
                tls: {mode: SIMPLE, credentialName: a-cert}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: front, namespace: istio-system}
            spec:
              hosts: ["*"]
              gateways: [edge]
              http:
              - route:
                - destination: {host: reviews.default.svc.cluster.local, port: {number: 9080}}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: only-get, namespace: istio-system}
            spec:
              selector: {matchLabels: {istio: ingressgateway}}
              rules:
              - to:
                - operation: {methods: [GET]}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: reviews-get, namespace: default}
            spec:
              selector: {matchLabels: {app: reviews}}
              rules:
              - to:
                - operation: {methods: [GET]}
            """;

    private static WorkloadEndpoint endpoint(String ip, String app, Map<String, Integer> ports) {
        return new WorkloadEndpoint(ip, ports, "east", "net-east", EAST_A, EndpointHealth.HEALTHY, app, app + "-0", "default",
                Map.of("app", app, "version", "v1"));
    }

    private static MeshTranslator translator() {
        InMemoryRegistry r = new InMemoryRegistry();
        Map<String, Integer> ports = Map.of("http", 9080, "grpc", 9090);
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS,
                List.of(new ServicePort("http", 9080, 9080, Protocol.HTTP), new ServicePort("grpc", 9090, 9090, Protocol.GRPC)),
                Map.of(), List.of(endpoint("10.1.0.10", "reviews", ports))));
        r.putService(new ClusterService("east", "default", "db", DB, List.of(new ServicePort("tcp", 5432, 5432, Protocol.TCP)),
                Map.of(), List.of(endpoint("10.1.0.20", "db", Map.of("tcp", 5432)))));
        r.replaceGateways("west", List.of(new NetworkGateway("net-west", "west", "10.255.0.2", 15443)));
        ConfigRegistry config = new ConfigRegistry("isthmus-system");
        for (var res : ConfigFiles.parse(CONFIG, "test")) {
            assertThat(config.upsert("test", res)).as("accepted").isNull();
        }
        return new MeshTranslator(r, "cluster.local", () -> ROOT, config::current);
    }

    private static Value str(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }

    private static ProxyView proxy(String type, String ip, String pod, String ns, String sa, Map<String, String> labels, String mode) {
        Struct.Builder l = Struct.newBuilder();
        labels.forEach((k, v) -> l.putFields(k, str(v)));
        Struct.Builder md = Struct.newBuilder()
                .putFields(ProxyMetadata.CLUSTER_ID, str("east"))
                .putFields(ProxyMetadata.NETWORK, str("net-east"))
                .putFields(ProxyMetadata.NAMESPACE, str(ns))
                .putFields(ProxyMetadata.SERVICE_ACCOUNT, str(sa))
                .putFields(ProxyMetadata.INSTANCE_IPS, str(ip))
                .putFields(ProxyMetadata.LABELS, Value.newBuilder().setStructValue(l).build());
        if (mode != null) {
            md.putFields(ProxyMetadata.INTERCEPTION_MODE, str(mode));
        }
        return ProxyView.fromNode(Node.newBuilder()
                .setId(ProxyMetadata.nodeId(type, ip, pod, ns))
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion(EAST_A.region()).setZone(EAST_A.zone()))
                .setMetadata(md).build());
    }

    private static List<Message> all(ProxyResources r) {
        List<Message> out = new ArrayList<>();
        out.addAll(r.listeners().values());
        out.addAll(r.routes().values());
        out.addAll(r.clusters().values());
        out.addAll(r.endpoints().values());
        out.addAll(r.secrets().values());
        return out;
    }

    /** Collects the type of every Any in {@code m}, unpacking each with the debug registry (fails on an unknown one). */
    private static void typesIn(Message m, TreeSet<String> types) throws Exception {
        if (m instanceof Any any) {
            String name = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
            types.add(name);
            Descriptor d = DebugJson.TYPES.find(name);
            assertThat(d).as("config_dump type registry knows " + name).isNotNull();
            typesIn(DynamicMessage.parseFrom(d, any.getValue()), types);
            return;
        }
        for (Map.Entry<FieldDescriptor, Object> f : m.getAllFields().entrySet()) {
            if (f.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
                continue;
            }
            if (f.getKey().isRepeated()) {
                for (Object o : (List<?>) f.getValue()) {
                    typesIn(asAny((Message) o), types);
                }
            } else {
                typesIn(asAny((Message) f.getValue()), types);
            }
        }
    }

    /** A DynamicMessage of type Any (inside an unpacked Any) as a real Any, so it is recognised. */
    private static Message asAny(Message m) throws Exception {
        if (!(m instanceof Any) && m.getDescriptorForType().getFullName().equals(Any.getDescriptor().getFullName())) {
            return Any.parseFrom(m.toByteString());
        }
        return m;
    }

    @Test
    void everyTypeTheControllerPacksPrintsAsJsonForSidecarsCapturedPodsAndGateways() throws Exception {
        MeshTranslator t = translator();
        List<ProxyView> proxies = List.of(
                proxy("sidecar", "10.1.0.10", "reviews-0", "default", "reviews", Map.of("app", "reviews"), null),
                proxy("sidecar", "10.1.0.10", "reviews-0", "default", "reviews", Map.of("app", "reviews"), "TPROXY"),
                proxy("router", "10.1.0.50", "ingress-0", "istio-system", "istio-ingressgateway",
                        Map.of("istio", "ingressgateway"), null));
        TreeSet<String> types = new TreeSet<>();
        for (ProxyView p : proxies) {
            for (Message m : all(t.resourcesFor(p))) {
                typesIn(m, types);
                String json = DebugJson.print(DebugJson.redacted(m));
                assertThat(json).as(m.getDescriptorForType().getName()).doesNotContain("Cannot find type").doesNotContain("\"error\"");
            }
        }
        assertThat(types).contains(
                "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                "envoy.extensions.filters.http.router.v3.Router",
                "envoy.extensions.filters.http.rbac.v3.RBAC",
                "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                "envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit",
                "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
                "envoy.extensions.filters.listener.original_dst.v3.OriginalDst",
                "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate");
    }
}
