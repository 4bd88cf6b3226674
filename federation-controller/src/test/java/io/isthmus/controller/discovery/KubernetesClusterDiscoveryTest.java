package io.isthmus.controller.discovery;

import static io.isthmus.controller.discovery.KubeObjects.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.MeshLabels;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KubernetesClusterDiscoveryTest {

    private static final String HOST = "reviews.default.svc.cluster.local";

    private MockApiServer api;
    private KubernetesClient client;
    private KubernetesClusterDiscovery discovery;
    private final InMemoryRegistry registry = new InMemoryRegistry();

    @BeforeEach
    void setUp() {
        api = new MockApiServer();
        seedReviews(api.client(), "us-east", "10.1.0");
        client = KubernetesClients.fromKubeconfig(api.kubeconfig("east", "t"), Duration.ofSeconds(2));
        discovery = new KubernetesClusterDiscovery(new KubernetesClusterDiscovery.Options("east", "net-east",
                Duration.ofMillis(500), Duration.ofMillis(100)), client, registry, Clock.systemUTC()).start();
    }

    @AfterEach
    void tearDown() {
        discovery.close();
        client.close();
        api.close();
    }

    private List<WorkloadEndpoint> endpoints() {
        return registry.service(HOST).map(FederatedService::endpoints).orElse(List.of()).stream()
                .sorted(Comparator.comparing(WorkloadEndpoint::address)).toList();
    }

    @Test
    void serviceWithEndpointsLocalityIdentityAndNetwork() {
        await().until(() -> endpoints().size() == 2);
        FederatedService fs = registry.service(HOST).orElseThrow();
        assertThat(fs.ports()).singleElement().satisfies(p -> {
            assertThat(p.port()).isEqualTo(9080);
            assertThat(p.protocol()).isEqualTo(Protocol.HTTP);
        });
        WorkloadEndpoint e = endpoints().get(0);
        assertThat(e.address()).isEqualTo("10.1.0.11");
        assertThat(e.cluster()).isEqualTo("east");
        assertThat(e.network()).isEqualTo("net-east");
        assertThat(e.locality()).isEqualTo(new Locality("us-east", "us-east-a", ""));
        assertThat(e.serviceAccount()).isEqualTo("reviews");
        assertThat(e.podName()).isEqualTo("reviews-1");
        assertThat(e.labels()).containsEntry("version", "v1");
        assertThat(e.health()).isEqualTo(EndpointHealth.HEALTHY);
        assertThat(e.targetPort(fs.ports().get(0))).isEqualTo(9080);
        assertThat(registry.clusters()).singleElement().satisfies(s -> {
            assertThat(s.state()).isEqualTo(ClusterStatus.State.SYNCED);
            assertThat(s.endpoints()).isEqualTo(2);
        });
        assertThat(registry.workload("east", "default", "10.1.0.12")).hasValueSatisfying(w -> {
            assertThat(w.podName()).isEqualTo("reviews-2");
            assertThat(w.hostnames()).containsExactly(HOST);
        });
    }

    @Test
    void followsReadinessPodLabelsAndDeletion() {
        await().until(() -> endpoints().size() == 2);
        api.client().discovery().v1().endpointSlices().resource(slice("default", "reviews", "reviews-abc", 9080, false,
                Map.of("reviews-1", "10.1.0.11", "reviews-2", "10.1.0.12"))).update();
        await().until(() -> endpoints().stream().allMatch(e -> e.health() == EndpointHealth.UNHEALTHY));

        api.client().namespaces().withName("default").edit(n -> {
            n.getMetadata().setLabels(Map.of(MeshLabels.NETWORK, "net-ns"));
            return n;
        });
        await().until(() -> endpoints().stream().allMatch(e -> e.network().equals("net-ns")));

        api.client().pods().inNamespace("default").withName("reviews-1").edit(p -> {
            p.getMetadata().setLabels(Map.of("app", "reviews", "version", "v3", MeshLabels.NETWORK, "net-pod"));
            return p;
        });
        await().until(() -> endpoints().get(0).labels().get("version").equals("v3")
                && endpoints().get(0).network().equals("net-pod"));
        api.client().nodes().withName("node-b").edit(n -> {
            n.getMetadata().setLabels(Map.of(MeshLabels.REGION, "us-east", MeshLabels.ZONE, "us-east-b",
                    MeshLabels.SUBZONE, "rack-7"));
            return n;
        });
        await().until(() -> endpoints().get(1).locality().equals(new Locality("us-east", "us-east-b", "rack-7")));

        api.client().services().inNamespace("default").withName("reviews").delete();
        await().until(() -> registry.service(HOST).isEmpty());
    }

    /**
     * Istio's {@code security.istio.io/tlsMode}: a pod's own label is kept; a pod without one is marked by whether a
     * sidecar runs in it (the sidecar container, or Istio's injection status), so callers speak plaintext to it if not.
     */
    @Test
    void marksEachPodByWhetherASidecarRunsThere() {
        await().until(() -> endpoints().size() == 2);
        assertThat(endpoints()).allSatisfy(e -> {
            assertThat(e.labels()).as("isthmus-proxy container").containsEntry(MeshLabels.TLS_MODE, MeshLabels.TLS_MODE_ISTIO);
            assertThat(e.takesMeshMtls()).isTrue();
        });

        api.client().pods().inNamespace("default").withName("reviews-1").delete();
        api.client().pods().resource(appOnlyPod("default", "reviews-1", "10.1.0.11", "node-a", "reviews",
                Map.of("app", "reviews", "version", "v1"))).create();
        await().until(() -> !endpoints().get(0).takesMeshMtls());
        assertThat(endpoints().get(0).labels()).containsEntry(MeshLabels.TLS_MODE, MeshLabels.TLS_MODE_DISABLED);
        assertThat(endpoints().get(1).takesMeshMtls()).as("the other pod keeps its sidecar").isTrue();

        api.client().pods().inNamespace("default").withName("reviews-1").edit(p -> {
            p.getMetadata().setAnnotations(Map.of("sidecar.istio.io/status", "{\"containers\":[\"istio-proxy\"]}"));
            return p;
        });
        await().until(() -> endpoints().get(0).takesMeshMtls());

        api.client().pods().inNamespace("default").withName("reviews-2").edit(p -> {
            p.getMetadata().setLabels(Map.of("app", "reviews", "version", "v2", MeshLabels.TLS_MODE, "disabled"));
            return p;
        });
        await().until(() -> !endpoints().get(1).takesMeshMtls());
    }

    @Test
    void announcesEastWestGateway() {
        api.client().namespaces().resource(namespace(MeshLabels.SYSTEM_NAMESPACE, Map.of())).create();
        api.client().services().resource(gatewayService("net-east", "10.255.0.1")).create();
        await().until(() -> !registry.gateways().isEmpty());
        assertThat(registry.gateways("net-east")).containsExactly(new NetworkGateway("net-east", "east", "10.255.0.1", 15443));
    }

    @Test
    void unreachableApiServerKeepsStaleEndpointsThenResyncs() {
        await().until(() -> endpoints().size() == 2);
        api.stop();
        await().atMost(Duration.ofSeconds(20)).until(() -> registry.clusters().get(0).state() == ClusterStatus.State.STALE);
        assertThat(endpoints()).hasSize(2).allMatch(e -> e.health() == EndpointHealth.STALE);

        api.restart();
        await().atMost(Duration.ofSeconds(20)).until(() -> registry.clusters().get(0).state() == ClusterStatus.State.SYNCED);
        await().until(() -> endpoints().stream().allMatch(e -> e.health() == EndpointHealth.HEALTHY));
        api.client().pods().resource(pod("default", "reviews-3", "10.1.0.13", "node-a", "reviews",
                Map.of("app", "reviews"))).create();
        api.client().discovery().v1().endpointSlices().resource(slice("default", "reviews", "reviews-abc", 9080, true,
                Map.of("reviews-1", "10.1.0.11", "reviews-2", "10.1.0.12", "reviews-3", "10.1.0.13"))).update();
        await().until(() -> endpoints().size() == 3);
    }
}
