package io.isthmus.e2e.driver.kind;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kind driver's options from system properties and the environment. */
class KindOptionsTest {
    @Test
    void contexts_servers_and_kubeconfig_come_from_properties() {
        Map<String, String> props = Map.of(KindOptions.CONTEXTS, "kind-east, kind-west",
                KindOptions.SERVERS, "east=https://172.18.0.2:6443,west=https://172.18.0.3:6443", KindOptions.READY_SECONDS, "60");
        KindOptions o = KindOptions.from(props::get, Map.of("KUBECONFIG", "/k/a:/k/b")::get);
        assertThat(o.contexts()).containsExactly("kind-east", "kind-west");
        assertThat(o.apiServers()).containsEntry("west", "https://172.18.0.3:6443");
        assertThat(o.kubeconfig()).isEqualTo(Path.of("/k/a"));
        assertThat(o.readyTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(KindOptions.from(Map.of(KindOptions.CONTEXTS, "kind-east")::get, Map.of("HOME", "/home/u")::get).kubeconfig())
                .isEqualTo(Path.of("/home/u/.kube/config"));
    }

    @Test
    void a_missing_or_wrong_property_is_named() {
        assertThatThrownBy(() -> KindOptions.from(Map.<String, String>of()::get, Map.<String, String>of()::get))
                .hasMessageContaining(KindOptions.CONTEXTS);
        assertThatThrownBy(() -> KindOptions.from(Map.of(KindOptions.CONTEXTS, "kind-east", KindOptions.SERVERS, "east=http://x")::get,
                Map.<String, String>of()::get)).hasMessageContaining("'east=http://x' is not cluster=https://host:port");
        assertThatThrownBy(() -> new KindOptions(List.of(), Path.of("k"), Map.of(), Duration.ofSeconds(1)))
                .hasMessageContaining("at least one");
    }
}
