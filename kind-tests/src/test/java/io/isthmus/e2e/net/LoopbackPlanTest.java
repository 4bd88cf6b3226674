package io.isthmus.e2e.net;

import io.isthmus.e2e.topology.ClusterSpec;
import io.isthmus.e2e.topology.Topology;
import io.isthmus.e2e.topology.TopologyLoader;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoopbackPlanTest {
    private static Topology load(String f) {
        return TopologyLoader.load(Path.of(System.getProperty("isthmus.topologies", "../topology-configs")).resolve(f));
    }

    @Test
    void two_clusters_get_a_slash_16_each_and_gateways_on_the_public_slash_24() {
        LoopbackPlan p = new LoopbackPlan(load("two-clusters-multi-network.yaml"));
        assertThat(p.nodeAddress("east")).isEqualTo("127.1.0.1");
        assertThat(p.nodeAddress("west")).isEqualTo("127.2.0.1");
        assertThat(p.clusterSubnet("west")).isEqualTo("127.2.0.0/16");
        Topology t = load("two-clusters-multi-network.yaml");
        String eastNet = t.cluster("east").orElseThrow().network();
        String westNet = t.cluster("west").orElseThrow().network();
        assertThat(p.gatewayAddress(eastNet)).isEqualTo("127.255.0.1");
        assertThat(p.gatewayAddress(westNet)).isEqualTo("127.255.0.2");
        LoopbackPlan.PodAddresses first = p.nextPod("east");
        assertThat(first.all()).containsExactly("127.1.1.1", "127.1.1.2", "127.1.1.3");
        assertThat(p.nextPod("west").podIp()).isEqualTo("127.2.1.1");
        assertThat(p.nextPod("east").podIp()).isEqualTo("127.1.2.1");
    }

    @Test
    void no_address_is_shared_and_every_one_is_in_127_slash_8() {
        for (String file : List.of("two-clusters-multi-network.yaml", "three-clusters-primary-remote.yaml", "single-network.yaml")) {
            Topology t = load(file);
            LoopbackPlan p = new LoopbackPlan(t);
            List<String> all = new ArrayList<>(p.fixedAddresses());
            for (ClusterSpec c : t.clusters()) {
                for (int i = 0; i < LoopbackPlan.MAX_PODS; i++) {
                    all.addAll(p.nextPod(c.name()).all());
                }
            }
            assertThat(all).as(file).doesNotHaveDuplicates().allMatch(LoopbackPlan::isLoopback)
                    .noneMatch(a -> a.equals("127.0.0.1") || a.equals("127.0.0.2") || a.startsWith("127.0."));
        }
    }

    @Test
    void a_cluster_out_of_pod_addresses_and_unknown_names_are_refused_by_name() {
        Topology t = load("two-clusters-multi-network.yaml");
        LoopbackPlan p = new LoopbackPlan(t);
        for (int i = 0; i < LoopbackPlan.MAX_PODS; i++) {
            p.nextPod("east");
        }
        assertThatThrownBy(() -> p.nextPod("east")).isInstanceOf(NetException.class).hasMessageContaining("east");
        assertThatThrownBy(() -> p.nodeAddress("north")).isInstanceOf(NetException.class).hasMessageContaining("north");
        assertThatThrownBy(() -> p.gatewayAddress("nowhere")).hasMessageContaining("nowhere");
    }

    @Test
    void loopback_check_accepts_only_dotted_127_addresses() {
        assertThat(LoopbackPlan.isLoopback("127.255.0.2")).isTrue();
        assertThat(LoopbackPlan.isLoopback("10.1.0.1")).isFalse();
        assertThat(LoopbackPlan.isLoopback("127.1.1")).isFalse();
        assertThat(LoopbackPlan.isLoopback("127.1.1.256")).isFalse();
        assertThat(LoopbackPlan.isLoopback("localhost")).isFalse();
    }

    @Test
    void modes_resolve_by_what_the_machine_allows() {
        assertThat(NetworkMode.AUTO.resolve(true)).isEqualTo(NetworkMode.NETNS);
        assertThat(NetworkMode.AUTO.resolve(false)).isEqualTo(NetworkMode.LOOPBACK);
        assertThat(NetworkMode.LOOPBACK.resolve(true)).isEqualTo(NetworkMode.LOOPBACK);
        PodNetwork own = new PodNetwork("isthmus-east-client-v1-0", "10.1.1.10", List.of("10.1.1.10"));
        assertThat(own.appAddress()).isEqualTo("127.0.0.1");
        assertThat(own.outboundAddress()).isEqualTo("127.0.0.2");
        assertThat(own.execPrefix()).startsWith("ip", "netns", "exec");
        assertThat(new PodNetwork("", "127.1.1.1", List.of("127.1.1.1"), "127.1.1.2", "127.1.1.3").execPrefix()).isEmpty();
    }
}
