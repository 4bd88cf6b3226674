package io.isthmus.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.controller.Controller;
import io.isthmus.controller.ControllerConfig;
import io.isthmus.controller.federation.HazelcastOptions;
import io.isthmus.controller.support.AdsTestClient;
import io.isthmus.controller.xds.XdsType;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.pem.Pem;
import io.isthmus.trust.testing.TestPki;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code isthmus controller}'s flags as a {@link ControllerConfig}, and a controller started from them with a registry file. */
class ControllerCommandTest {
    private static final String HOST = "ratings.default.svc.cluster.local";
    private static final String CLUSTER = "outbound|9080||" + HOST;

    @TempDir
    Path dir;

    private static ControllerConfig parse(String... args) {
        List<String> all = new ArrayList<>(List.of("--cluster", "east", "--network", "net-east"));
        all.addAll(List.of(args));
        if (!all.contains("--ca-dir")) {
            all.addAll(List.of("--ca-dir", "/ca"));
        }
        ControllerCommand cmd = new ControllerCommand();
        new CommandLine(cmd).parseArgs(all.toArray(String[]::new));
        return cmd.config();
    }

    @Test
    void registryFileAndHazelcastKubernetesFlagsParseIntoTheConfig() {
        ControllerConfig plain = parse();
        assertThat(plain.registryFile()).isEmpty();
        assertThat(plain.hazelcastKubernetes()).isEmpty();
        assertThat(plain.hazelcastOptions().members()).isEmpty();

        ControllerConfig c = parse("--registry-file", "/etc/isthmus/registry.yaml",
                "--hazelcast-kubernetes-service", "isthmus-controller-hazelcast");
        assertThat(c.registryFile()).contains(Path.of("/etc/isthmus/registry.yaml"));
        assertThat(c.registryFileCluster()).as("no kubeconfig: the file is this cluster").isEqualTo("east");
        assertThat(c.hazelcastKubernetes()).contains(
                new HazelcastOptions.KubernetesJoin("isthmus-system", "isthmus-controller-hazelcast"));
        assertThat(c.hazelcastOptions().kubernetes()).isEqualTo(c.hazelcastKubernetes());
        assertThat(c.hazelcastOptions().clusterName()).isEqualTo("isthmus-east");

        ControllerConfig ns = parse("--hazelcast-kubernetes-service", "hz", "--hazelcast-kubernetes-namespace", "mesh",
                "--kubeconfig", "/kube");
        assertThat(ns.hazelcastKubernetes()).contains(new HazelcastOptions.KubernetesJoin("mesh", "hz"));
        assertThat(ns.registryFileCluster()).isEqualTo("east-file");

        assertThat(parse("--hazelcast-members", "10.0.0.2:5701").hazelcastOptions().members()).containsExactly("10.0.0.2:5701");
        assertThatThrownBy(() -> parse("--hazelcast-members", "10.0.0.2:5701", "--hazelcast-kubernetes-service", "hz"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
        assertThatThrownBy(() -> parse("--hazelcast-kubernetes-namespace", "mesh"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--hazelcast-kubernetes-service");
        assertThat(new CommandLine(new ControllerCommand()).execute("--cluster", "east", "--network", "n", "--ca-dir",
                "/ca", "--hazelcast-kubernetes-namespace", "mesh")).isEqualTo(2);
    }

    @Test
    void aControllerStartedWithARegistryFileServesItsServicesAndFollowsItsChanges() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "east");
        Path file = dir.resolve("registry.yaml");
        Files.writeString(file, registry("10.1.0.20"));
        ControllerConfig config = parse("--ca-dir", pki.cacertsDir("east").toString(), "--registry-file", file.toString(),
                "--listen-address", "127.0.0.1", "--secure-xds-port", "0", "--monitoring-port", "0",
                "--push-debounce", "20ms", "--shared-state", "IN_MEMORY");
        try (Controller controller = Controller.start(config);
                AdsTestClient client = client(pki, controller)) {
            client.subscribe(XdsType.CLUSTER.typeUrl(), List.of());
            DiscoveryResponse cds = client.next(XdsType.CLUSTER.typeUrl(), r -> names(r).contains(CLUSTER));
            client.ack(cds, List.of());
            client.subscribe(XdsType.ENDPOINT.typeUrl(), List.of(CLUSTER));
            DiscoveryResponse eds = client.next(XdsType.ENDPOINT.typeUrl(), r -> addresses(r).equals(List.of("10.1.0.20:9080")));
            client.ack(eds, List.of(CLUSTER));

            Files.writeString(file, registry("10.1.0.20", "10.1.0.21"));
            DiscoveryResponse pushed = client.next(XdsType.ENDPOINT.typeUrl(),
                    r -> addresses(r).equals(List.of("10.1.0.20:9080", "10.1.0.21:9080")));
            assertThat(pushed.getResources(0).unpack(ClusterLoadAssignment.class).getClusterName()).isEqualTo(CLUSTER);
            assertThat(controller.registry().service(HOST)).map(s -> s.clusters().keySet())
                    .isEqualTo(Optional.of(java.util.Set.of("east")));
        }
    }

    private static String registry(String... ips) {
        StringBuilder b = new StringBuilder("""
                services:
                - name: ratings
                  namespace: default
                  ports: [{name: http, port: 9080, protocol: HTTP}]
                  workloads:
                """);
        for (String ip : ips) {
            b.append("  - {address: ").append(ip).append(", serviceAccount: ratings}\n");
        }
        return b.toString();
    }

    private static AdsTestClient client(TestPki pki, Controller controller) throws Exception {
        CertifiedKey me = pki.workload("east", "default", "productpage");
        var ssl = GrpcSslContexts.forClient()
                .trustManager(new ByteArrayInputStream(Pem.encode(pki.rootCertificate()).getBytes(StandardCharsets.UTF_8)))
                .keyManager(new ByteArrayInputStream(me.chainPem().getBytes(StandardCharsets.UTF_8)),
                        new ByteArrayInputStream(me.privateKeyPem().getBytes(StandardCharsets.UTF_8)))
                .build();
        Node node = Node.newBuilder().setId(ProxyMetadata.nodeId("sidecar", "10.1.0.5", "productpage-0", "default"))
                .setMetadata(Struct.newBuilder()
                        .putFields(ProxyMetadata.CLUSTER_ID, Value.newBuilder().setStringValue("east").build())
                        .putFields(ProxyMetadata.NETWORK, Value.newBuilder().setStringValue("net-east").build())
                        .putFields(ProxyMetadata.NAMESPACE, Value.newBuilder().setStringValue("default").build())
                        .putFields(ProxyMetadata.SERVICE_ACCOUNT, Value.newBuilder().setStringValue("productpage").build()))
                .build();
        return new AdsTestClient(NettyChannelBuilder.forAddress("127.0.0.1", controller.secureXdsPort())
                .overrideAuthority("isthmus-controller.isthmus-system.svc").sslContext(ssl).build(), node);
    }

    private static List<String> names(DiscoveryResponse r) {
        return r.getResourcesList().stream().map(a -> {
            try {
                return a.unpack(Cluster.class).getName();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList();
    }

    private static List<String> addresses(DiscoveryResponse r) {
        List<String> out = new ArrayList<>();
        for (var a : r.getResourcesList()) {
            try {
                for (var g : a.unpack(ClusterLoadAssignment.class).getEndpointsList()) {
                    for (var e : g.getLbEndpointsList()) {
                        var sa = e.getEndpoint().getAddress().getSocketAddress();
                        out.add(sa.getAddress() + ":" + sa.getPortValue());
                    }
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        out.sort(null);
        return out;
    }
}
