package io.isthmus.e2e.local;

import io.isthmus.e2e.net.PodNetwork;
import io.isthmus.e2e.topology.CaptureMode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CapturedPodTest {
    private static final PodNetwork NETNS = new PodNetwork("isthmus-east-client-v1-0", "10.1.3.1", List.of("10.1.3.1"));

    @Test
    void the_sidecar_runs_in_the_pod_namespace_in_the_group_the_rules_leave_alone() {
        assertThat(CapturedPod.proxyPrefix(NETNS)).containsExactly("ip", "netns", "exec", "isthmus-east-client-v1-0",
                "setpriv", "--regid=1337", "--clear-groups");
        assertThat(CapturedPod.iptablesFlags(CaptureMode.TPROXY)).containsExactly("--mode", "TPROXY", "--proxy-gid", "1337",
                "--exclude-inbound-ports", "15080");
        assertThat(CapturedPod.iptablesFlags(CaptureMode.REDIRECT)).startsWith("--mode", "REDIRECT");
    }

    @Test
    void capture_is_refused_without_a_network_namespace_before_anything_is_changed() {
        PodNetwork loopback = new PodNetwork("", "127.1.3.1", List.of("127.1.3.1"), "127.1.3.2", "127.1.3.3");
        assertThatThrownBy(() -> CapturedPod.prepare(loopback, CaptureMode.TPROXY, "east-client-v1-0", Path.of("target")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("east-client-v1-0").hasMessageContaining("needs network namespaces");
    }
}
