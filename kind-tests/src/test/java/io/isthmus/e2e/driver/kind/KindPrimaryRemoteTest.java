package io.isthmus.e2e.driver.kind;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kind driver on the primary-remote topology ({@code three-clusters-primary-remote.yaml}) against
 * three fabric8 mock API servers seeded as {@code up.sh --topology} installs them: which clusters
 * run a controller comes from the topology file, the contexts must be exactly its clusters.
 */
class KindPrimaryRemoteTest {
    private static final Path TOPOLOGIES = Path.of("..", "topology-configs");
    private static final Path PRIMARY_REMOTE = TOPOLOGIES.resolve("three-clusters-primary-remote.yaml");

    private MockKindClusters kind;

    @BeforeEach
    void up() {
        kind = new MockKindClusters("east", "west", "north");
        kind.install("east", "us-east", "172.18.0.2");
        kind.install("west", "us-west", "172.18.0.3");
        kind.install("north", "eu-north", "172.18.0.4", false);
        kind.demo("north", "client", "v1", "a", List.of());
        kind.demo("north", "reviews", "v1", "a", List.of());
    }

    @AfterEach
    void down() {
        kind.close();
    }

    private KindOptions options(Path dir, List<String> contexts, Optional<Path> topology) throws IOException {
        return new KindOptions(contexts, kind.kubeconfigFile(dir), Map.of(), Duration.ofSeconds(20), topology);
    }

    @Test
    void the_topology_says_which_clusters_run_a_controller_and_whose_controller_serves_a_remote(@TempDir Path dir) throws IOException {
        // Even with a controller Deployment in north, the topology decides (north is remote).
        try (KindFederation fed = KindFederation.connect(options(dir, List.of("kind-east", "kind-west", "kind-north"),
                Optional.of(PRIMARY_REMOTE)), p -> true)) {
            assertThat(fed.topologyName()).isEqualTo("three-clusters-primary-remote.yaml");
            assertThat(fed.cluster("east").runsController()).isTrue();
            assertThat(fed.cluster("west").runsController()).isTrue();
            assertThat(fed.cluster("north").runsController()).isFalse();
            assertThat(fed.controlPlaneOf("north")).isEqualTo("east");
            assertThat(fed.controlPlaneOf("west")).isEqualTo("west");
            assertThat(fed.cluster("north").network()).isEqualTo("network-north");
            assertThat(fed.pod("north", "client").zone()).isEqualTo("eu-north-1a");
            assertThat(fed.cluster("north").pods("reviews")).hasSize(1);
            assertThatThrownBy(() -> fed.killController("north")).hasMessageContaining("north runs no controller");
        }
    }

    @Test
    void without_a_topology_file_a_controller_runs_where_its_deployment_is(@TempDir Path dir) throws IOException {
        try (KindFederation fed = KindFederation.connect(options(dir, List.of("kind-east", "kind-west", "kind-north"),
                Optional.empty()), p -> true)) {
            assertThat(fed.topologyName()).isEqualTo(KindOptions.DEFAULT_TOPOLOGY);
            assertThat(fed.cluster("east").runsController()).isTrue();
            assertThat(fed.cluster("north").runsController()).isFalse();
            assertThat(fed.controlPlaneOf("north")).isEqualTo("north");
        }
    }

    @Test
    void contexts_that_are_not_the_topology_s_clusters_are_refused_naming_both(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> KindFederation.connect(options(dir, List.of("kind-east", "kind-west"), Optional.of(PRIMARY_REMOTE)),
                p -> true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("three-clusters-primary-remote.yaml has clusters [east, west, north]")
                .hasMessageContaining("[east, west]").hasMessageContaining("up.sh --topology");
        assertThatThrownBy(() -> KindFederation.connect(options(dir, List.of("kind-east", "kind-west", "kind-north"),
                Optional.of(TOPOLOGIES.resolve("two-clusters-multi-network.yaml"))), p -> true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has clusters [east, west]");
    }

    @Test
    void the_topology_file_comes_from_its_system_property() {
        Map<String, String> props = Map.of(KindOptions.CONTEXTS, "kind-east,kind-west,kind-north",
                KindOptions.TOPOLOGY, PRIMARY_REMOTE.toString());
        KindOptions o = KindOptions.from(props::get, k -> null);
        assertThat(o.topology()).contains(PRIMARY_REMOTE);
        assertThat(o.topologyName()).isEqualTo("three-clusters-primary-remote.yaml");
        assertThat(KindOptions.from(Map.of(KindOptions.CONTEXTS, "kind-east")::get, k -> null).topologyName())
                .isEqualTo(KindOptions.DEFAULT_TOPOLOGY);
    }
}
