package io.isthmus.e2e.local;

import io.isthmus.e2e.topology.Topology;
import io.isthmus.e2e.topology.TopologyLoader;
import io.isthmus.mesh.ProxyMetadata;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PodHostsTest {
    private static Topology twoClusters() {
        return TopologyLoader.load(Path.of(System.getProperty("isthmus.topologies", "../topology-configs"))
                .resolve("two-clusters-multi-network.yaml"));
    }

    @Test
    void every_service_name_form_resolves_to_the_pods_outbound_address() {
        List<String> lines = PodHosts.lines(twoClusters(), "default", "127.1.4.3");
        assertThat(lines.get(0)).startsWith("127.0.0.1 localhost");
        assertThat(lines).anySatisfy(l -> assertThat(l.split(" ")).containsExactly("127.1.4.3",
                "reviews.default.svc.cluster.local", "reviews.default.svc", "reviews.default", "reviews"));
        assertThat(lines.subList(1, lines.size())).allMatch(l -> l.startsWith("127.1.4.3 "));
    }

    @Test
    void a_pod_of_another_namespace_gets_no_bare_names() {
        List<String> lines = PodHosts.lines(twoClusters(), "other", "127.1.4.3");
        assertThat(lines).noneMatch(l -> l.endsWith(" reviews"));
    }

    @Test
    void the_bootstrap_carries_the_pods_own_addresses_only_when_given() {
        Bootstrap b = new Bootstrap(ProxyMetadata.TYPE_SIDECAR, "client-v1-0", "default", "127.1.1.1", "client", "east",
                "network-east", "us-east", "us-east-1a", "", "client", Map.of(), "", "127.1.0.1", 15012);
        assertThat(b.toJson()).doesNotContain(ProxyMetadata.OUTBOUND_ADDRESS);
        String json = b.withMetadata(Map.of(ProxyMetadata.OUTBOUND_ADDRESS, "127.1.1.3", ProxyMetadata.APP_ADDRESS, "127.1.1.2")).toJson();
        assertThat(json).containsPattern("\"" + ProxyMetadata.OUTBOUND_ADDRESS + "\"\\s*:\\s*\"127\\.1\\.1\\.3\"")
                .containsPattern("\"" + ProxyMetadata.APP_ADDRESS + "\"\\s*:\\s*\"127\\.1\\.1\\.2\"");
    }
}
