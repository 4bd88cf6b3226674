package io.isthmus.e2e.topology;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopologyLoaderTest {
    private static final Path DIR = Path.of(System.getProperty("isthmus.topologies", "../topology-configs"));

    private static final String VALID = """
            trustDomain: cluster.local
            clusters:
              - name: east
                network: n1
                nodes: [{name: a, region: r, zone: z1}]
            services:
              - name: reviews
                ports: [{name: http, port: 9080}]
                workloads: [{cluster: east, zone: z1}]
            """;

    @ParameterizedTest
    @ValueSource(strings = {"two-clusters-multi-network.yaml", "single-network.yaml", "three-clusters-primary-remote.yaml",
            "ingress-egress.yaml", "two-clusters-capture.yaml"})
    void shipped_topologies_load(String file) {
        Topology t = TopologyLoader.load(DIR.resolve(file));
        assertThat(t.clusters()).isNotEmpty();
        assertThat(t.service("reviews")).isPresent();
    }

    @Test
    void the_scene_topology_has_east_and_west_on_separate_networks() {
        Topology t = TopologyLoader.load(DIR.resolve("two-clusters-multi-network.yaml"));
        assertThat(t.networks()).containsExactly("network-east", "network-west");
        ServiceSpec reviews = t.service("reviews").orElseThrow();
        assertThat(reviews.hostname()).isEqualTo("reviews.default.svc.cluster.local");
        assertThat(reviews.workloads()).extracting(WorkloadSpec::cluster).contains("east", "west");
        assertThat(reviews.workloads()).extracting(WorkloadSpec::version).contains("v1", "v2");
        assertThat(t.remoteSecrets()).contains(new RemoteSecretSpec("east", "west"));
    }

    @Test
    void the_edges_topology_declares_east_s_gateways_and_an_external_service() {
        Topology t = TopologyLoader.load(DIR.resolve("ingress-egress.yaml"));
        ClusterSpec east = t.cluster("east").orElseThrow();
        GatewaySpec ingress = east.gateway(GatewaySpec.Kind.INGRESS).orElseThrow();
        assertThat(ingress.hosts()).containsExactly("bookinfo.example.test", "details.example.test", "secure.example.test");
        assertThat(ingress.kind().workloadName()).isEqualTo("istio-ingressgateway");
        assertThat(east.gateway(GatewaySpec.Kind.EGRESS).orElseThrow().kind().istioLabel()).isEqualTo("egressgateway");
        assertThat(t.cluster("west").orElseThrow().gateways()).isEmpty();
        assertThat(t.externalServices()).containsExactly(new ExternalServiceSpec("api.external.test", 443, "east"));
        assertThat(t.hasEdges()).isTrue();
        assertThat(TopologyLoader.load(DIR.resolve("two-clusters-multi-network.yaml")).hasEdges()).isFalse();
    }

    @Test
    void edge_mistakes_are_named_with_their_path() {
        String withGateways = VALID.replace("nodes: [{name: a, region: r, zone: z1}]",
                "nodes: [{name: a, region: r, zone: z1}]\n    gateways: [{kind: ingress, zone: z1}, {kind: ingress, zone: z1}]");
        assertThatThrownBy(() -> TopologyLoader.parse("t", withGateways))
                .hasMessageContaining("clusters[east].gateways[ingress].kind: at most one gateway of each kind");
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("nodes: [{name: a, region: r, zone: z1}]",
                "nodes: [{name: a, region: r, zone: z1}]\n    gateways: [{kind: egress, zone: z9}]")))
                .hasMessageContaining("gateways[egress].zone: cluster 'east' has no node in zone 'z9'");
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("nodes: [{name: a, region: r, zone: z1}]",
                "nodes: [{name: a, region: r, zone: z1}]\n    gateways: [{kind: sideways, zone: z1}]")))
                .hasMessageContaining("kind: 'sideways' is not one of [ingress, egress]");
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID + "externalServices: [{host: api.external.test, cluster: east}]\n"))
                .hasMessageContaining("externalServices[api.external.test].cluster: cluster 'east' runs no egress gateway");
    }

    @Test
    void defaults_fill_in_namespace_account_protocol_and_replicas() {
        Topology t = TopologyLoader.parse("t", VALID);
        ServiceSpec s = t.service("reviews").orElseThrow();
        assertThat(s.namespace()).isEqualTo("default");
        assertThat(s.serviceAccount()).isEqualTo("reviews");
        assertThat(s.firstPort().protocol()).isEqualTo(PortSpec.Protocol.HTTP);
        assertThat(s.firstPort().targetPort()).isEqualTo(9080);
        assertThat(s.workloads().get(0).replicas()).isEqualTo(1);
        assertThat(t.clusters().get(0).role()).isEqualTo(ClusterSpec.Role.PRIMARY);
    }

    @Test
    void an_unknown_field_is_named_with_its_path() {
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("network: n1", "network: n1\n    netwrk: x")))
                .isInstanceOf(TopologyException.class).hasMessageContaining("clusters[0].netwrk: unknown field");
    }

    @Test
    void errors_in_a_file_name_the_file_path(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("typo.yaml");
        java.nio.file.Files.writeString(file, VALID.replace("network: n1", "network: n1\n    netwrk: x"));
        assertThatThrownBy(() -> TopologyLoader.load(file))
                .isInstanceOf(TopologyException.class).hasMessageStartingWith(file + ": clusters[0].netwrk: unknown field");
        java.nio.file.Files.writeString(file, "clusters: [");
        assertThatThrownBy(() -> TopologyLoader.load(file)).hasMessageStartingWith(file + ": not valid YAML");
    }

    @Test
    void a_missing_field_is_named() {
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("    network: n1\n", "")))
                .hasMessageContaining("clusters[0].network: required");
    }

    @Test
    void a_workload_in_a_zone_the_cluster_lacks_is_refused() {
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("workloads: [{cluster: east, zone: z1}]",
                "workloads: [{cluster: east, zone: z9}]")))
                .hasMessageContaining("services[reviews].workloads[east/z9].zone").hasMessageContaining("no node in zone 'z9'");
    }

    @Test
    void a_workload_in_an_unknown_cluster_is_refused() {
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("{cluster: east, zone: z1}", "{cluster: south, zone: z1}")))
                .hasMessageContaining(".cluster: no cluster named 'south'");
    }

    @Test
    void bad_values_are_named() {
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("port: 9080", "port: 99999")))
                .hasMessageContaining("ports[http].port: 99999 is not in 1..65535");
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("port: 9080", "port: high")))
                .hasMessageContaining("port: must be an integer");
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("network: n1", "network: n1\n    role: boss")))
                .hasMessageContaining("clusters[0].role: 'boss' is not one of [primary, remote]");
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("name: east", "name: East_1")))
                .hasMessageContaining("clusters.name: 'East_1' is not a lower-case DNS name");
    }

    @Test
    void a_remote_cluster_needs_a_primary_control_plane_and_holds_no_secrets() {
        String remote = VALID.replace("services:", """
                  - name: north
                    network: n2
                    role: remote
                    controlPlane: nowhere
                    nodes: [{name: b, region: r, zone: z2}]
                services:""");
        assertThatThrownBy(() -> TopologyLoader.parse("t", remote)).hasMessageContaining("clusters[north].controlPlane: no cluster named 'nowhere'");
        String ok = remote.replace("nowhere", "east") + "remoteSecrets: [{holder: north, of: east}]\n";
        assertThatThrownBy(() -> TopologyLoader.parse("t", ok)).hasMessageContaining("only primaries hold remote secrets");
    }

    @Test
    void invalid_yaml_and_wrong_shapes_are_clear() {
        assertThatThrownBy(() -> TopologyLoader.parse("t", "clusters: [")).hasMessageContaining("t: not valid YAML");
        assertThatThrownBy(() -> TopologyLoader.parse("t", "- a\n- b\n")).hasMessageContaining("must be a mapping");
        assertThatThrownBy(() -> TopologyLoader.parse("t", "clusters: 3\n")).hasMessageContaining("clusters: must be a list");
        assertThatThrownBy(() -> TopologyLoader.parse("t", "trustDomain: x\n")).hasMessageContaining("at least one cluster");
    }

    @Test
    void a_missing_file_is_named() {
        assertThatThrownBy(() -> TopologyLoader.load(Path.of("/nonexistent/t.yaml"))).hasMessageContaining("/nonexistent/t.yaml: cannot read");
    }

    @Test
    void a_workload_may_run_in_transparent_capture() {
        Topology t = TopologyLoader.load(DIR.resolve("two-clusters-capture.yaml"));
        assertThat(t.service("client").orElseThrow().workloads()).extracting(WorkloadSpec::capture)
                .containsExactly(CaptureMode.TPROXY);
        assertThat(t.service("reviews").orElseThrow().workloads()).extracting(WorkloadSpec::capture)
                .containsOnly(CaptureMode.NONE);
        Topology lower = TopologyLoader.parse("t", VALID.replace("{cluster: east, zone: z1}", "{cluster: east, zone: z1, capture: tproxy}"));
        assertThat(lower.service("reviews").orElseThrow().workloads().get(0).capture()).isEqualTo(CaptureMode.TPROXY);
        assertThat(TopologyLoader.parse("t", VALID).service("reviews").orElseThrow().workloads().get(0).capture())
                .isEqualTo(CaptureMode.NONE);
    }

    @Test
    void a_workload_may_run_without_a_sidecar_but_not_in_capture() {
        assertThat(TopologyLoader.parse("t", VALID).service("reviews").orElseThrow().workloads().get(0).sidecar()).isTrue();
        Topology plain = TopologyLoader.parse("t", VALID.replace("{cluster: east, zone: z1}", "{cluster: east, zone: z1, sidecar: false}"));
        assertThat(plain.service("reviews").orElseThrow().workloads().get(0).sidecar()).isFalse();
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("{cluster: east, zone: z1}", "{cluster: east, zone: z1, sidecar: no-thanks}")))
                .isInstanceOf(TopologyException.class)
                .hasMessage("t: services[0].workloads[0].sidecar: must be true or false, got 'no-thanks'");
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("{cluster: east, zone: z1}",
                "{cluster: east, zone: z1, sidecar: false, capture: TPROXY}")))
                .isInstanceOf(TopologyException.class).hasMessageContaining("sidecar is false");
    }

    @Test
    void an_unknown_capture_mode_is_refused_naming_the_field_and_the_modes() {
        assertThatThrownBy(() -> TopologyLoader.parse("t", VALID.replace("{cluster: east, zone: z1}", "{cluster: east, zone: z1, capture: IPVS}")))
                .isInstanceOf(TopologyException.class)
                .hasMessage("t: services[0].workloads[0].capture: 'IPVS' is not one of NONE, TPROXY, REDIRECT");
    }

    @Test
    void redirect_capture_is_accepted() {
        Topology t = TopologyLoader.parse("t", VALID.replace("{cluster: east, zone: z1}", "{cluster: east, zone: z1, capture: REDIRECT}"));
        assertThat(t.service("reviews").orElseThrow().workloads().get(0).capture()).isEqualTo(CaptureMode.REDIRECT);
        assertThat(CaptureMode.REDIRECT.transparent()).isTrue();
        assertThat(CaptureMode.NONE.transparent()).isFalse();
    }
}
