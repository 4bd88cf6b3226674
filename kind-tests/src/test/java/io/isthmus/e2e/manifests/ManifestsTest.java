package io.isthmus.e2e.manifests;

import io.isthmus.e2e.net.Ip;
import io.isthmus.e2e.net.NetException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The install manifests under {@code topology-configs/manifests} build with kustomize and pass {@code kubectl apply --dry-run=client}. */
class ManifestsTest {
    private static final Path MANIFESTS = Path.of(System.getProperty("isthmus.topologies", "../topology-configs")).resolve("manifests");

    @BeforeAll
    static void kubectlPresent() {
        boolean present;
        try {
            Ip.run(List.of("kubectl", "version", "--client"));
            present = true;
        } catch (NetException e) {
            present = false;
        }
        assumeTrue(present, "kubectl is not installed; the manifests are not checked");
    }

    private static String kustomize(String dir) {
        return Ip.run(List.of("kubectl", "kustomize", MANIFESTS.resolve(dir).toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/east", "overlays/west", "overlays/north", "demo"})
    void builds_and_applies_in_a_client_dry_run(String dir, @TempDir Path tmp) throws IOException {
        String yaml = kustomize(dir);
        Path file = Files.writeString(tmp.resolve("all.yaml"), yaml);
        try (FakeDiscovery api = new FakeDiscovery()) {
            Path kubeconfig = Files.writeString(tmp.resolve("kubeconfig"), api.kubeconfig());
            String out = Ip.run(List.of("kubectl", "--kubeconfig", kubeconfig.toString(), "apply", "--dry-run=client",
                    "--validate=false", "-f", file.toString()));
            assertThat(out).contains("(dry run)").doesNotContain("error");
        }
    }

    @Test
    void each_overlay_sets_its_cluster_and_network() {
        for (String c : List.of("east", "west", "north")) {
            String yaml = kustomize("overlays/" + c);
            assertThat(yaml).contains("cluster: " + c).contains("network: network-" + c)
                    .contains("topology.istio.io/network: network-" + c).doesNotContain("topology.istio.io/network: NETWORK");
        }
    }

    @Test
    void the_remote_overlay_runs_no_controller_and_sends_its_controller_service_to_the_primary_s_gateway() {
        String yaml = kustomize("overlays/north");
        assertThat(yaml).contains("role: remote", "controlPlane: east", "name: istio-eastwestgateway", "kind: CustomResourceDefinition")
                .doesNotContain("--ca-dir");
        String controllerService = yaml.substring(yaml.indexOf("kind: Service\nmetadata:\n  labels:\n    app: isthmus-controller"));
        controllerService = controllerService.substring(0, controllerService.indexOf("---"));
        assertThat(controllerService).contains("port: 15012", "targetPort: 15443").doesNotContain("selector");
    }

    @Test
    void the_base_has_every_part_and_the_istio_kinds() {
        String yaml = kustomize("overlays/east");
        assertThat(yaml).contains("kind: CustomResourceDefinition", "virtualservices.networking.istio.io",
                "authorizationpolicies.security.istio.io", "peerauthentications.security.istio.io",
                "name: isthmus-controller", "name: istio-eastwestgateway", "istio: eastwestgateway",
                "port: 15443", "kind: ClusterRole", "tokenreviews");
    }

    @Test
    void the_demo_manifests_match_the_scene_topology() {
        var topology = io.isthmus.e2e.topology.TopologyLoader.load(MANIFESTS.getParent().resolve("two-clusters-multi-network.yaml"));
        String yaml = kustomize("demo");
        for (var s : topology.services()) {
            assertThat(yaml).as("service %s", s.name()).contains("name: " + s.name() + "\n  namespace: " + s.namespace());
            assertThat(yaml).as("service account of %s", s.name()).contains("serviceAccountName: " + s.serviceAccount());
            assertThat(yaml).as("port of %s", s.name()).contains("port: " + s.firstPort().port());
            for (var p : s.ports()) {
                assertThat(yaml).as("port %s of %s", p.name(), s.name())
                        .contains("port: " + p.port(), "targetPort: " + p.targetPort(), "containerPort: " + p.targetPort(),
                                "appProtocol: " + p.protocol().name().toLowerCase(java.util.Locale.ROOT));
            }
            String appPorts = s.ports().stream().map(p -> Integer.toString(p.targetPort()))
                    .collect(java.util.stream.Collectors.joining(","));
            assertThat(yaml).as("the app of %s listens on every port", s.name()).contains("--port=" + appPorts + "\n");
            for (var w : s.workloads()) {
                assertThat(yaml).as("version %s of %s", w.version(), s.name()).contains("--version=" + w.version());
            }
        }
    }

    @Test
    void demo_pods_carry_their_sidecar_and_resolve_through_it() {
        String yaml = kustomize("demo");
        assertThat(yaml).contains("name: isthmus-proxy", "exec isthmus proxy", "--dns-address 127.0.0.1:53",
                "nameservers:", "- 127.0.0.1", "name: XDS_ADDRESS");
    }
}
