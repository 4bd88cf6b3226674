package io.isthmus.controller.federation;

import static io.isthmus.controller.discovery.KubeObjects.namespace;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.isthmus.controller.discovery.MockApiServer;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.mesh.MeshLabels;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link ClusterManager.RemoteWatch} lifecycle against two mock API servers: started with a
 * client of the remote cluster when it joins, the new one started before the old one stops when the
 * kubeconfig changes, stopped and told to forget when the cluster leaves.
 */
class ClusterManagerRemoteWatchTest {
    private static final String NS = MeshLabels.SYSTEM_NAMESPACE;

    private MockApiServer east;
    private MockApiServer west;
    private ClusterManager manager;
    private final List<String> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        east = new MockApiServer();
        west = new MockApiServer();
        east.client().namespaces().resource(namespace(NS, Map.of())).create();
        west.client().namespaces().resource(namespace("only-in-west", Map.of())).create();
        manager = new ClusterManager(new ClusterManager.Options("east", "net-east", NS, Duration.ofSeconds(3),
                Duration.ofMillis(500), Duration.ofMillis(200)), east.client(), new InMemoryRegistry(),
                ClusterOwnership.standalone(), Clock.systemUTC())
                .remoteWatch(new ClusterManager.RemoteWatch() {
                    private int n;

                    @Override
                    public synchronized AutoCloseable start(String cluster, KubernetesClient client) {
                        int id = ++n;
                        boolean west = client.namespaces().list().getItems().stream()
                                .anyMatch(x -> x.getMetadata().getName().equals("only-in-west"));
                        events.add("start " + cluster + " " + id + (west ? " west-client" : " other-client"));
                        return () -> events.add("close " + cluster + " " + id);
                    }

                    @Override
                    public void removed(String cluster) {
                        events.add("removed " + cluster);
                    }
                }).start();
    }

    @AfterEach
    void tearDown() {
        manager.close();
        east.close();
        west.close();
    }

    private void putSecret(Secret s) {
        east.client().secrets().inNamespace(NS).resource(s).createOr(op -> op.update());
    }

    @Test
    void startedOnJoinSwappedWithTheKubeconfigAndStoppedOnLeave() {
        west.acceptTokens("old", "new");
        putSecret(RemoteSecrets.remoteSecret("west", west.kubeconfig("west", "old"), NS));
        await().until(() -> events.size() == 1);
        assertThat(events).containsExactly("start west 1 west-client");

        putSecret(RemoteSecrets.remoteSecret("west", west.kubeconfig("west", "new"), NS));
        await().until(() -> events.size() == 3);
        assertThat(events).containsExactly("start west 1 west-client", "start west 2 west-client", "close west 1");

        east.client().secrets().inNamespace(NS).withName(RemoteSecrets.NAME_PREFIX + "west").delete();
        await().until(() -> events.size() == 5);
        assertThat(events.subList(3, 5)).containsExactly("close west 2", "removed west");
        assertThat(manager.clusters()).containsExactly("east");
    }
}
