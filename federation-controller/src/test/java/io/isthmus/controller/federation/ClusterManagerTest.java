package io.isthmus.controller.federation;

import static io.isthmus.controller.discovery.KubeObjects.namespace;
import static io.isthmus.controller.discovery.KubeObjects.pod;
import static io.isthmus.controller.discovery.KubeObjects.seedReviews;
import static io.isthmus.controller.discovery.KubeObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.isthmus.controller.discovery.MockApiServer;
import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.MeshLabels;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Clusters joining, rotating, erroring and leaving through remote secrets, against three mock API servers. */
class ClusterManagerTest {

    private static final String HOST = "reviews.default.svc.cluster.local";
    private static final String NS = MeshLabels.SYSTEM_NAMESPACE;

    private MockApiServer east;
    private MockApiServer west;
    private MockApiServer north;
    private final InMemoryRegistry registry = new InMemoryRegistry();
    private ClusterManager manager;

    @BeforeEach
    void setUp() {
        east = new MockApiServer();
        west = new MockApiServer();
        north = new MockApiServer();
        seedReviews(east.client(), "us-east", "10.1.0");
        seedReviews(west.client(), "us-west", "10.2.0");
        west.client().namespaces().resource(namespace(NS, Map.of(MeshLabels.NETWORK, "net-west"))).create();
        seedReviews(north.client(), "eu-north", "10.3.0");
        east.client().namespaces().resource(namespace(NS, Map.of())).create();
        manager = new ClusterManager(new ClusterManager.Options("east", "net-east", NS, Duration.ofSeconds(3),
                Duration.ofMillis(500), Duration.ofMillis(200)), east.client(), registry, ClusterOwnership.standalone(),
                Clock.systemUTC()).start();
    }

    @AfterEach
    void tearDown() {
        manager.close();
        east.close();
        west.close();
        north.close();
    }

    private List<WorkloadEndpoint> endpointsOf(String cluster) {
        return registry.service(HOST).map(FederatedService::endpoints).orElse(List.of()).stream()
                .filter(e -> e.cluster().equals(cluster)).toList();
    }

    private Optional<ClusterStatus> status(String cluster) {
        return registry.clusters().stream().filter(s -> s.name().equals(cluster)).findFirst();
    }

    private void putSecret(Secret s) {
        east.client().secrets().inNamespace(NS).resource(s).createOr(op -> op.update());
    }

    @Test
    void joinsByRemoteSecretAndMergesByHostname() {
        await().until(() -> endpointsOf("east").size() == 2);
        assertThat(manager.ready()).succeedsWithin(Duration.ofSeconds(10));
        putSecret(RemoteSecrets.remoteSecret("west", west.kubeconfig("west", "t"), NS));
        await().until(() -> endpointsOf("west").size() == 2);
        FederatedService fs = registry.service(HOST).orElseThrow();
        assertThat(fs.clusters()).containsOnlyKeys("east", "west");
        assertThat(fs.endpointsByNetwork()).containsOnlyKeys("net-east", "net-west");
        assertThat(status("west")).hasValueSatisfying(s -> assertThat(s.state()).isEqualTo(ClusterStatus.State.SYNCED));
    }

    @Test
    void secretRotationSwapsClientWithoutEndpointGapAndDeletionRemovesCluster() {
        west.acceptTokens("old");
        putSecret(RemoteSecrets.remoteSecret("west", west.kubeconfig("west", "old"), NS));
        await().until(() -> endpointsOf("west").size() == 2);
        List<Integer> seen = new CopyOnWriteArrayList<>();
        List<ClusterStatus.State> states = new CopyOnWriteArrayList<>();
        registry.addListener(c -> {
            seen.add(endpointsOf("west").size());
            status("west").ifPresent(s -> states.add(s.state()));
        });

        west.acceptTokens("old", "new");
        putSecret(RemoteSecrets.remoteSecret("west", west.kubeconfig("west", "new"), NS));
        // Once the swap is done, only the new token is accepted: further changes must still flow.
        await().pollDelay(Duration.ofSeconds(1)).until(() -> true);
        west.acceptTokens("new");
        west.client().pods().resource(pod("default", "reviews-3", "10.2.0.13", "node-a", "reviews",
                Map.of("app", "reviews"))).create();
        west.client().discovery().v1().endpointSlices().resource(slice("default", "reviews", "reviews-abc", 9080, true,
                Map.of("reviews-1", "10.2.0.11", "reviews-2", "10.2.0.12", "reviews-3", "10.2.0.13"))).update();
        await().atMost(Duration.ofSeconds(15)).until(() -> endpointsOf("west").size() == 3);
        assertThat(seen).allMatch(n -> n >= 2);
        assertThat(states).containsOnly(ClusterStatus.State.SYNCED);
        assertThat(endpointsOf("west")).allMatch(e -> e.health() == EndpointHealth.HEALTHY);

        east.client().secrets().inNamespace(NS).withName(RemoteSecrets.NAME_PREFIX + "west").delete();
        await().until(() -> endpointsOf("west").isEmpty() && status("west").isEmpty());
        assertThat(endpointsOf("east")).hasSize(2);
    }

    @Test
    void malformedSecretAndRefusedCredentialsErrorOnlyThatCluster() {
        putSecret(RemoteSecrets.remoteSecret("west", west.kubeconfig("west", "t"), NS));
        await().until(() -> endpointsOf("west").size() == 2);

        putSecret(new SecretBuilder().withNewMetadata().withName("broken").withNamespace(NS)
                .withLabels(Map.of(MeshLabels.MULTI_CLUSTER, "true")).endMetadata()
                .withData(Map.of("north", Base64.getEncoder().encodeToString(
                        "this: [is not a kubeconfig".getBytes(StandardCharsets.UTF_8)))).build());
        await().until(() -> status("north").map(s -> s.state() == ClusterStatus.State.ERRORED).orElse(false));
        assertThat(status("north").orElseThrow().reason()).contains("kubeconfig");

        north.acceptTokens("right");
        putSecret(new SecretBuilder().withNewMetadata().withName("broken").withNamespace(NS)
                .withLabels(Map.of(MeshLabels.MULTI_CLUSTER, "true")).endMetadata()
                .withStringData(Map.of("north", north.kubeconfig("north", "wrong"))).build());
        await().atMost(Duration.ofSeconds(15)).until(() -> status("north")
                .map(s -> s.state() == ClusterStatus.State.ERRORED && s.reason().contains("401")).orElse(false));

        assertThat(endpointsOf("north")).isEmpty();
        assertThat(endpointsOf("west")).hasSize(2);
        assertThat(status("west").orElseThrow().state()).isEqualTo(ClusterStatus.State.SYNCED);
        assertThat(status("east").orElseThrow().state()).isEqualTo(ClusterStatus.State.SYNCED);

        north.acceptTokens("right", "wrong");
        await().atMost(Duration.ofSeconds(20)).until(() -> endpointsOf("north").size() == 2);
    }

    @Test
    void oneBadKeyDoesNotHideTheGoodKeysOfTheSameSecret() {
        putSecret(new SecretBuilder().withNewMetadata().withName("mixed").withNamespace(NS)
                .withLabels(Map.of(MeshLabels.MULTI_CLUSTER, "true")).endMetadata()
                .withStringData(Map.of("west", west.kubeconfig("west", "t"), "Not_A_Cluster", "x", "north", "")).build());
        await().until(() -> endpointsOf("west").size() == 2);
        await().until(() -> status("Not_A_Cluster").map(s -> s.state() == ClusterStatus.State.ERRORED
                && s.reason().contains("is not a cluster name")).orElse(false));
        await().until(() -> status("north").map(s -> s.reason().contains("is empty")).orElse(false));
        east.client().secrets().inNamespace(NS).withName("mixed").delete();
        await().until(() -> endpointsOf("west").isEmpty() && status("Not_A_Cluster").isEmpty() && status("north").isEmpty());
    }

    @Test
    void unreachableApiServerAtJoinDoesNotBlockReadiness() {
        north.stop();
        putSecret(RemoteSecrets.remoteSecret("north", north.kubeconfig("north", "t"), NS));
        assertThat(manager.ready()).succeedsWithin(Duration.ofSeconds(15));
        await().atMost(Duration.ofSeconds(20)).until(() -> status("north")
                .map(s -> s.state() == ClusterStatus.State.SYNCING && s.reason().startsWith("waiting for the API server"))
                .orElse(false));
        assertThat(endpointsOf("east")).hasSize(2);
        north.restart();
        await().atMost(Duration.ofSeconds(30)).until(() -> endpointsOf("north").size() == 2);
        assertThat(status("north").orElseThrow().state()).isEqualTo(ClusterStatus.State.SYNCED);
    }

    @Test
    void remoteApiServerDownKeepsStaleEndpointsAndRecovers() {
        putSecret(RemoteSecrets.remoteSecret("west", west.kubeconfig("west", "t"), NS));
        await().until(() -> endpointsOf("west").size() == 2);
        west.stop();
        await().atMost(Duration.ofSeconds(20)).until(() -> status("west")
                .map(s -> s.state() == ClusterStatus.State.STALE).orElse(false));
        assertThat(endpointsOf("west")).hasSize(2).allMatch(e -> e.health() == EndpointHealth.STALE);
        assertThat(status("east").orElseThrow().state()).isEqualTo(ClusterStatus.State.SYNCED);
        west.restart();
        await().atMost(Duration.ofSeconds(20)).until(() -> endpointsOf("west").stream()
                .allMatch(e -> e.health() == EndpointHealth.HEALTHY));
        assertThat(status("west").orElseThrow().state()).isEqualTo(ClusterStatus.State.SYNCED);
    }
}
