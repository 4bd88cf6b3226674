package io.isthmus.e2e.net;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The fixed MACs the sandbox gives its bridges (the bridges themselves are exercised by the end-to-end suite). */
class NetworkSandboxTest {

    @Test
    void every_bridge_gets_its_own_fixed_locally_administered_unicast_mac() {
        List<String> bridges = List.of("ib1", "ib2", "ib3", "ib4", AddressPlan.PUBLIC_BRIDGE, AddressPlan.OUTSIDE_BRIDGE,
                AddressPlan.EXTERNAL_BRIDGE);
        Set<String> macs = new HashSet<>();
        for (String b : bridges) {
            String mac = NetworkSandbox.bridgeMac(b);
            assertThat(mac).matches("([0-9a-f]{2}:){5}[0-9a-f]{2}");
            int first = Integer.parseInt(mac.substring(0, 2), 16);
            assertThat(first & 0x02).as("locally administered: %s", mac).isEqualTo(0x02);
            assertThat(first & 0x01).as("unicast: %s", mac).isZero();
            assertThat(NetworkSandbox.bridgeMac(b)).as("the same on every call").isEqualTo(mac);
            macs.add(mac);
        }
        assertThat(macs).hasSize(bridges.size());
    }
}
