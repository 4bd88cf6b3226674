package io.isthmus.e2e.net;

import io.isthmus.e2e.topology.Topology;
import io.isthmus.e2e.topology.TopologyLoader;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AddressPlanTest {
    private static Topology load(String f) {
        return TopologyLoader.load(Path.of(System.getProperty("isthmus.topologies", "../topology-configs")).resolve(f));
    }

    @Test
    void two_networks_get_the_addresses_of_the_design() {
        AddressPlan p = new AddressPlan(load("two-clusters-multi-network.yaml"));
        assertThat(p.nodeAddress("east")).isEqualTo("10.1.0.1");
        assertThat(p.nodeAddress("west")).isEqualTo("10.2.0.1");
        assertThat(p.network("network-east").subnet()).isEqualTo("10.1.0.0/16");
        assertThat(p.network("network-west").gatewayPublicAddress()).isEqualTo("10.255.0.2");
        assertThat(p.nextPodAddress("east", "network-east")).isEqualTo("10.1.1.10");
        assertThat(p.nextPodAddress("east", "network-east")).isEqualTo("10.1.1.11");
        assertThat(p.nextPodAddress("west", "network-west")).isEqualTo("10.2.1.10");
    }

    @Test
    void clusters_sharing_a_network_get_distinct_node_addresses_and_pod_blocks() {
        AddressPlan p = new AddressPlan(load("single-network.yaml"));
        assertThat(p.networks()).hasSize(1);
        assertThat(p.nodeAddress("east")).isEqualTo("10.1.0.1");
        assertThat(p.nodeAddress("west")).isEqualTo("10.1.0.2");
        assertThat(p.nextPodAddress("west", "network-flat")).isEqualTo("10.1.2.10");
        assertThatThrownBy(() -> p.nodeAddress("south")).hasMessageContaining("no cluster named 'south'");
    }

    @Test
    void edges_sit_on_the_outside_and_external_networks_only() {
        assertThat(AddressPlan.ingressOutsideAddress(1)).isEqualTo("10.254.0.1");
        assertThat(AddressPlan.egressExternalAddress(2)).isEqualTo("10.253.0.2");
        assertThat(AddressPlan.externalServiceAddress(1)).isEqualTo("10.253.0.101");
        assertThat(AddressPlan.OUTSIDE_CLIENT).startsWith("10.254.0.");
        assertThat(Isolation.ours(AddressPlan.OUTSIDE_BRIDGE)).isTrue();
        assertThat(Isolation.ours(AddressPlan.EXTERNAL_BRIDGE)).isTrue();
        assertThatThrownBy(() -> AddressPlan.ingressOutsideAddress(0)).hasMessageContaining("clusters 1..99");
    }

    @Test
    void our_interfaces_are_told_apart_from_the_machine_s() {
        assertThat(Isolation.ours("ib1")).isTrue();
        assertThat(Isolation.ours("iv12")).isTrue();
        assertThat(Isolation.ours("ig2p")).isTrue();
        assertThat(Isolation.ours("ens5")).isFalse();
        assertThat(Isolation.ours("docker0")).isFalse();
        assertThat(Isolation.ours("eth0")).isFalse();
        assertThat(Isolation.oursInPod("eth0")).isTrue();
    }
}
