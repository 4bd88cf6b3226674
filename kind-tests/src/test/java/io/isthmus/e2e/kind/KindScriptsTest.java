package io.isthmus.e2e.kind;

import io.isthmus.e2e.net.Ip;
import io.isthmus.e2e.net.NetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kind scripts cannot run here (no Docker engine), so they are checked: {@code bash -n} and
 * {@code shellcheck}, and the files they rely on exist.
 */
class KindScriptsTest {
    private static final Path KIND = Path.of("kind");
    private static final List<String> SCRIPTS = List.of("kind/lib.sh", "kind/up.sh", "kind/test.sh", "kind/down.sh",
            "kind/image/isthmus", "kind/image/isthmus-bootstrap", "netns-jdk/bin/java");

    @ParameterizedTest
    @ValueSource(strings = {"kind/lib.sh", "kind/up.sh", "kind/test.sh", "kind/down.sh", "kind/image/isthmus",
            "kind/image/isthmus-bootstrap", "netns-jdk/bin/java"})
    void parses(String script) {
        Ip.run(List.of(script.endsWith("isthmus") || script.endsWith("bootstrap") ? "sh" : "bash", "-n", script));
        assertThat(Files.isExecutable(Path.of(script))).as("%s is executable", script).isTrue();
    }

    @Test
    void passes_shellcheck() {
        boolean present;
        try {
            Ip.run(List.of("shellcheck", "--version"));
            present = true;
        } catch (NetException e) {
            present = false;
        }
        assumeTrue(present, "shellcheck is not installed (.ci/run installs it); the scripts are only checked with bash -n");
        List<String> cmd = new java.util.ArrayList<>(List.of("shellcheck", "-x", "-P", "kind"));
        cmd.addAll(SCRIPTS);
        Ip.run(cmd);
    }

    @Test
    void the_scripts_install_from_the_shipped_manifests() throws IOException {
        String up = Files.readString(KIND.resolve("up.sh"));
        assertThat(up).contains("overlays/$c", "demo/reviews.yaml", "create-remote-secret", "issue-intermediate",
                "podSubnet", "topology.kubernetes.io/zone");
        for (String f : List.of("overlays/east", "overlays/west", "demo/reviews.yaml", "demo/client.yaml", "demo/details.yaml")) {
            assertThat(Path.of("../topology-configs/manifests").resolve(f)).exists();
        }
        assertThat(Files.readString(KIND.resolve("test.sh"))).contains("-Disthmus.e2e.target=kind");
    }

    @Test
    void the_bootstrap_script_writes_valid_json() throws IOException {
        Path out = Files.createTempFile("bootstrap", ".json");
        ProcessBuilder pb = new ProcessBuilder("sh", "kind/image/isthmus-bootstrap", "sidecar", out.toString());
        pb.environment().putAll(java.util.Map.of("POD_NAME", "reviews-v1-7d4f-abcde", "POD_NAMESPACE", "default",
                "POD_IP", "10.110.1.5", "CLUSTER_NAME", "east", "NETWORK", "network-east", "SERVICE_ACCOUNT", "bookinfo-reviews",
                "XDS_ADDRESS", "isthmus-controller.isthmus-system.svc:15012", "APP_LABELS", "{\"app\":\"reviews\"}",
                "SERVICE_PORTS", "9080/http"));
        try {
            assertThat(pb.inheritIO().start().waitFor()).isZero();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        var node = new tools.jackson.databind.ObjectMapper().readTree(Files.readString(out));
        assertThat(node.at("/node/id").asString()).isEqualTo("sidecar~10.110.1.5~reviews-v1-7d4f-abcde.default~default.svc.cluster.local");
        assertThat(node.at("/node/cluster").asString()).isEqualTo("reviews-v1");
        assertThat(node.at("/node/metadata/LABELS/app").asString()).isEqualTo("reviews");
        assertThat(node.at("/static_resources/clusters/0/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address/port_value").asInt())
                .isEqualTo(15012);
    }
}
