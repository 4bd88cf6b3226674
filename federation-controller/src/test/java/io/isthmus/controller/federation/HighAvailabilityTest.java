package io.isthmus.controller.federation;

import static io.isthmus.controller.discovery.KubeObjects.namespace;
import static io.isthmus.controller.discovery.KubeObjects.pod;
import static io.isthmus.controller.discovery.KubeObjects.seedReviews;
import static io.isthmus.controller.discovery.KubeObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.HazelcastInstance;
import io.isthmus.controller.discovery.MockApiServer;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.mesh.MeshLabels;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Two controller replicas of one cluster: each API server watched by one of them, taken over when it dies. */
class HighAvailabilityTest {

    private static final String HOST = "reviews.default.svc.cluster.local";
    /** The longest the mock API server may stall after a watching client went away (see below), with a margin. */
    private static final Duration MOCK_STALL = Duration.ofSeconds(90);

    @Test
    void ownerKilledAnotherReplicaTakesTheWatchOver() throws Exception {
        try (MockApiServer east = new MockApiServer(); MockApiServer west = new MockApiServer()) {
            seedReviews(east.client(), "us-east", "10.1.0");
            seedReviews(west.client(), "us-west", "10.2.0");
            east.client().namespaces().resource(namespace(MeshLabels.SYSTEM_NAMESPACE, Map.of())).create();
            east.client().secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE)
                    .resource(RemoteSecrets.remoteSecret("west", west.kubeconfig("west", "t"), MeshLabels.SYSTEM_NAMESPACE))
                    .create();

            int p1 = HazelcastRegistryTest.freePort();
            int p2 = HazelcastRegistryTest.freePort();
            Replica r1 = new Replica(east, new HazelcastOptions("ha-test", "127.0.0.1", p1, List.of("127.0.0.1:" + p2)));
            Replica r2 = new Replica(east, new HazelcastOptions("ha-test", "127.0.0.1", p2, List.of("127.0.0.1:" + p1)));
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> r1.hz.getCluster().getMembers().size() == 2);
                // The replica that hands west over closes its client with the watches open; the fabric8 mock
                // server then may block an event loop for up to a minute (its watch listener awaits the
                // termination of its send executor on that loop), stalling the new owner's first list.
                await().atMost(MOCK_STALL).until(() -> endpoints(r1) == 4 && endpoints(r2) == 4);
                // Each API server is watched by exactly one replica, and the two replicas share the work.
                await().atMost(MOCK_STALL)
                        .until(() -> r1.manager.watching().size() == 1 && r2.manager.watching().size() == 1);
                assertThat(new java.util.TreeSet<>(java.util.stream.Stream.concat(r1.manager.watching().stream(),
                        r2.manager.watching().stream()).toList())).containsExactly("east", "west");

                Replica owner = r1.manager.watching().contains("west") ? r1 : r2;
                Replica survivor = owner == r1 ? r2 : r1;
                owner.kill();

                await().atMost(MOCK_STALL).until(() -> survivor.manager.watching().containsAll(List.of("east", "west")));
                west.client().pods().resource(pod("default", "reviews-3", "10.2.0.13", "node-a", "reviews",
                        Map.of("app", "reviews"))).create();
                // The mock API server does not replay events between a list and the watch that follows it,
                // so a change racing the new owner's first list is re-applied until it is seen.
                int[] generation = {0};
                await().atMost(MOCK_STALL).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    var s = slice("default", "reviews", "reviews-abc", 9080, true,
                            Map.of("reviews-1", "10.2.0.11", "reviews-2", "10.2.0.12", "reviews-3", "10.2.0.13"));
                    s.getMetadata().setAnnotations(Map.of("test/generation", Integer.toString(generation[0]++)));
                    west.client().discovery().v1().endpointSlices().resource(s).update();
                    return endpoints(survivor) == 5;
                });
            } finally {
                r1.close();
                r2.close();
            }
        }
    }

    private static int endpoints(Replica r) {
        return r.registry.service(HOST).map(FederatedService::endpoints).map(List::size).orElse(0);
    }

    /** One controller replica: a Hazelcast member, the shared registry, lease ownership and the cluster manager. */
    private static final class Replica implements AutoCloseable {
        final HazelcastInstance hz;
        final HazelcastRegistry registry;
        final HazelcastOwnership ownership;
        final ClusterManager manager;
        private boolean dead;

        Replica(MockApiServer local, HazelcastOptions options) {
            hz = HazelcastMember.start(options);
            registry = new HazelcastRegistry(hz).start();
            ownership = new HazelcastOwnership(hz, Duration.ofSeconds(5));
            manager = new ClusterManager(new ClusterManager.Options("east", "net-east", MeshLabels.SYSTEM_NAMESPACE,
                    Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofMillis(300)),
                    local.client(), registry, ownership, Clock.systemUTC()).start();
        }

        /** Dies without a goodbye: the member is terminated before anything else stops. */
        void kill() {
            dead = true;
            hz.getLifecycleService().terminate();
            manager.close();
            registry.close();
        }

        @Override
        public void close() {
            if (!dead) {
                manager.close();
                ownership.close();
                registry.close();
                hz.shutdown();
            }
        }
    }
}
