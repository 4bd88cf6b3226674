package io.isthmus.controller.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.mesh.Locality;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class InMemoryRegistryTest {

    static final String HOST = "reviews.default.svc.cluster.local";

    static WorkloadEndpoint ep(String cluster, String network, String ip, EndpointHealth health) {
        return new WorkloadEndpoint(ip, Map.of(), cluster, network, Locality.of("r", "z"), health, "reviews",
                "pod-" + ip, "default", Map.of("version", "v1"));
    }

    static ClusterService svc(String cluster, List<ServicePort> ports, WorkloadEndpoint... eps) {
        return new ClusterService(cluster, "default", "reviews", HOST, ports, Map.of(), List.of(eps));
    }

    @Test
    void mergesByHostnameAndTellsListenersWhatChanged() {
        InMemoryRegistry reg = new InMemoryRegistry();
        List<RegistryChange> changes = new CopyOnWriteArrayList<>();
        reg.addListener(changes::add);
        ServicePort http = new ServicePort("http", 9080, 9080, Protocol.HTTP);
        reg.putService(svc("east", List.of(http), ep("east", "n1", "10.1.0.1", EndpointHealth.HEALTHY)));
        reg.putService(svc("west", List.of(new ServicePort("web", 9080, 8080, Protocol.HTTP2),
                new ServicePort("grpc", 9090, 9090, Protocol.GRPC)), ep("west", "n2", "10.2.0.1", EndpointHealth.HEALTHY)));
        FederatedService fs = reg.service(HOST).orElseThrow();
        assertThat(fs.ports()).extracting(ServicePort::port).containsExactly(9080, 9090);
        assertThat(fs.port(9080)).contains(http);
        assertThat(fs.endpointsByNetwork()).containsOnlyKeys("n1", "n2");
        assertThat(fs.spiffeIds("cluster.local")).containsExactly("spiffe://cluster.local/ns/default/sa/reviews");
        assertThat(changes).hasSize(2).allSatisfy(c -> assertThat(c.hostnames()).containsExactly(HOST));

        reg.putService(svc("east", List.of(http), ep("east", "n1", "10.1.0.1", EndpointHealth.HEALTHY)));
        assertThat(changes).hasSize(2);

        reg.replaceGateways("west", List.of(new NetworkGateway("n2", "west", "10.255.0.2", 15443)));
        assertThat(changes.get(2).gatewayNetworks()).containsExactly("n2");
        reg.putStatus(ClusterStatus.of("west", ClusterStatus.State.SYNCED, "", Instant.EPOCH));
        assertThat(reg.clusters()).singleElement().satisfies(s -> {
            assertThat(s.services()).isEqualTo(1);
            assertThat(s.endpoints()).isEqualTo(1);
        });

        reg.markStale("west");
        assertThat(reg.service(HOST).orElseThrow().clusters().get("west").endpoints().get(0).health())
                .isEqualTo(EndpointHealth.STALE);
        assertThat(EndpointHealth.STALE.serving()).isTrue();

        reg.removeCluster("west");
        assertThat(reg.service(HOST).orElseThrow().clusters()).containsOnlyKeys("east");
        assertThat(reg.gateways()).isEmpty();
        assertThat(reg.clusters()).isEmpty();
        reg.replaceCluster("east", List.of());
        assertThat(reg.service(HOST)).isEmpty();
        assertThat(changes.get(changes.size() - 1).hostnames()).isEqualTo(Set.of(HOST));
    }

    @Test
    void findsAProxysOwnWorkloadByPodNameOrAddress() {
        InMemoryRegistry reg = new InMemoryRegistry();
        ServicePort http = new ServicePort("http", 9080, 0, Protocol.HTTP);
        reg.putService(svc("east", List.of(http), ep("east", "n1", "10.1.0.1", EndpointHealth.UNHEALTHY)));
        reg.putService(new ClusterService("east", "default", "reviews-v1", "reviews-v1.default.svc.cluster.local",
                List.of(http), Map.of(), List.of(ep("east", "n1", "10.1.0.1", EndpointHealth.HEALTHY))));
        WorkloadInstance w = reg.workload("east", "default", "pod-10.1.0.1").orElseThrow();
        assertThat(w.hostnames()).containsExactlyInAnyOrder(HOST, "reviews-v1.default.svc.cluster.local");
        assertThat(w.serviceAccount()).isEqualTo("reviews");
        assertThat(w.labels()).containsEntry("version", "v1");
        assertThat(reg.workload("east", "default", "10.1.0.1")).isPresent();
        assertThat(reg.workload("west", "default", "10.1.0.1")).isEmpty();
        reg.removeService("east", HOST);
        assertThat(reg.workload("east", "default", "10.1.0.1").orElseThrow().hostnames())
                .containsExactly("reviews-v1.default.svc.cluster.local");
    }

    @Test
    void recordsValidateTheirFields() {
        assertThatThrownBy(() -> new ServicePort("http", 0, 0, Protocol.HTTP)).hasMessageContaining("port");
        assertThatThrownBy(() -> svc("west", List.of(), ep("east", "n", "1.1.1.1", EndpointHealth.HEALTHY)))
                .hasMessageContaining("endpoint 1.1.1.1 of cluster east");
        assertThat(Protocol.of("http-web", null)).isEqualTo(Protocol.HTTP);
        assertThat(Protocol.of("web", "kubernetes.io/h2c")).isEqualTo(Protocol.HTTP2);
        assertThat(Protocol.of("grpc", null)).isEqualTo(Protocol.GRPC);
        assertThat(Protocol.of("db", null)).isEqualTo(Protocol.UNKNOWN);
        WorkloadEndpoint e = new WorkloadEndpoint("1.1.1.1", Map.of("http", 19080), "c", "n", Locality.UNKNOWN,
                EndpointHealth.HEALTHY, "sa", "", "ns", Map.of());
        assertThat(e.targetPort(new ServicePort("http", 80, 8080, Protocol.HTTP))).isEqualTo(19080);
        assertThat(e.targetPort(new ServicePort("other", 80, 0, Protocol.HTTP))).isEqualTo(80);
        WorkloadEndpoint t = new WorkloadEndpoint("1.1.1.1", Map.of(), "east", "net-east", new Locality("r", "z", "s"),
                EndpointHealth.HEALTHY, "sa", "", "ns", Map.of("topology.kubernetes.io/zone", "own"));
        assertThat(t.topologyLabel("topology.istio.io/network")).isEqualTo("net-east");
        assertThat(t.topologyLabel("topology.istio.io/cluster")).isEqualTo("east");
        assertThat(t.topologyLabel("topology.kubernetes.io/region")).isEqualTo("r");
        assertThat(t.topologyLabel("topology.kubernetes.io/zone")).isEqualTo("own");
        assertThat(t.topologyLabel("app")).isEmpty();
    }
}
