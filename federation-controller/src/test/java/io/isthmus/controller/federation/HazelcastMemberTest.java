package io.isthmus.controller.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The member configuration: no multicast, explicit join, one bound address. */
class HazelcastMemberTest {

    @Test
    void tcpIpJoinWithExplicitMembersAndNoMulticast() {
        Config c = HazelcastMember.config(new HazelcastOptions("isthmus-east", "10.1.0.1", 5701,
                List.of("10.1.0.2:5701", "10.1.0.3:5701")));
        JoinConfig join = c.getNetworkConfig().getJoin();
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.isAutoDetectionEnabled()).isFalse();
        assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
        assertThat(join.getTcpIpConfig().getMembers()).contains("10.1.0.2:5701", "10.1.0.3:5701");
        assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
        assertThat(c.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("10.1.0.1");
        assertThat(c.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
        assertThat(c.getProperty("hazelcast.logging.type")).isEqualTo("slf4j");
        assertThat(c.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
        assertThat(c.getNetworkConfig().getPort()).isEqualTo(5701);
    }

    @Test
    void kubernetesDiscoveryInsteadOfAMemberList() {
        Config c = HazelcastMember.config(new HazelcastOptions("isthmus-east", "10.1.0.1", 5701, List.of(),
                Optional.of(new HazelcastOptions.KubernetesJoin("isthmus-system", "isthmus-controller-hazelcast"))));
        JoinConfig join = c.getNetworkConfig().getJoin();
        assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().getProperty("service-name")).isEqualTo("isthmus-controller-hazelcast");
        assertThat(join.getKubernetesConfig().getProperty("namespace")).isEqualTo("isthmus-system");
    }

    @Test
    void rejectsWildcardsRangesAndBothJoins() {
        assertThatThrownBy(() -> new HazelcastOptions("x", "0.0.0.0", 5701, List.of())).hasMessageContaining("specific address");
        assertThatThrownBy(() -> new HazelcastOptions("x", "127.0.0.1", 5701, List.of("127.0.0.1:5701-5703")))
                .hasMessageContaining("no port ranges");
        assertThatThrownBy(() -> new HazelcastOptions("x", "127.0.0.1", 5701, List.of("127.0.0.1:5702"),
                Optional.of(new HazelcastOptions.KubernetesJoin("ns", "svc")))).hasMessageContaining("not both");
        assertThat(HazelcastOptions.parseMembers(" a:1, b:2 ,")).containsExactly("a:1", "b:2");
    }
}
