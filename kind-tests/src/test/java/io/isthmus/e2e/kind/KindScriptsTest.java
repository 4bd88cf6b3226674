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
import java.util.Map;

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
    void the_scenarios_run_against_kind_outside_the_network_namespace_with_the_servers_named() throws IOException {
        String test = Files.readString(KIND.resolve("test.sh"));
        assertThat(test).contains("ISTHMUS_E2E_TARGET=kind", "-Disthmus.e2e.kind.contexts=", "-Disthmus.e2e.kind.servers=",
                "-Disthmus.e2e.kind.kubeconfig=");
        Path dir = Files.createTempDirectory("netns-java");
        Path java = fakeJava(dir);
        ProcessBuilder pb = new ProcessBuilder("bash", "netns-jdk/bin/java", "-version");
        pb.environment().put("ISTHMUS_JAVA", java.toString());
        pb.environment().put("ISTHMUS_E2E_TARGET", "kind");
        assertThat(run(pb)).as("the wrapper runs java directly for target kind").containsExactly("-version");
    }

    @Test
    void the_image_launcher_gives_proxies_and_gateways_the_proxy_jvm_options_and_others_a_default() throws IOException {
        Path home = Files.createTempDirectory("isthmus-home");
        Path options = Files.copy(Path.of("../sidecar/src/main/resources/io/isthmus/sidecar/jvm.options"), home.resolve("proxy-jvm.options"));
        assertThat(Files.readString(KIND.resolve("lib.sh"))).contains("sidecar/src/main/resources/io/isthmus/sidecar/jvm.options");
        assertThat(Files.readString(KIND.resolve("up.sh"))).contains("proxy-jvm.options");
        assertThat(Files.readString(KIND.resolve("image/Dockerfile"))).contains("/opt/isthmus/proxy-jvm.options");

        for (String command : List.of("proxy", "gateway")) {
            List<String> args = launch(home, Map.of(), command, "--bootstrap", "b.json");
            assertThat(args).as(command).contains("@" + options).doesNotContain("-XX:TieredStopAtLevel=1", "--cert-ttl");
            assertThat(args.subList(args.indexOf("io.isthmus.cli.IsthmusCli"), args.size())).containsExactly(
                    "io.isthmus.cli.IsthmusCli", command, "--bootstrap", "b.json");
        }
        List<String> controller = launch(home, Map.of("ISTHMUS_JAVA_OPTS", "-Xmx300m"), "controller", "--cluster=east");
        assertThat(controller).contains("-XX:MaxRAMPercentage=75", "-XX:+UseSerialGC").doesNotContain("@" + options,
                "-XX:TieredStopAtLevel=1");
        assertThat(controller.indexOf("-Xmx300m")).as("ISTHMUS_JAVA_OPTS last, before the class path")
                .isGreaterThan(controller.indexOf("-XX:MaxRAMPercentage=75")).isLessThan(controller.indexOf("-cp"));

        assertThat(launch(home, Map.of("ISTHMUS_CERT_TTL", "120s"), "proxy", "--bootstrap", "b.json"))
                .endsWith("proxy", "--bootstrap", "b.json", "--cert-ttl", "120s");
        assertThat(launch(home, Map.of("ISTHMUS_CERT_TTL", "120s"), "proxy", "--cert-ttl", "1h"))
                .endsWith("proxy", "--cert-ttl", "1h");
        assertThat(launch(home, Map.of("ISTHMUS_CERT_TTL", "120s"), "gateway")).doesNotContain("--cert-ttl");

        Files.delete(options);
        ProcessBuilder pb = new ProcessBuilder("sh", "kind/image/isthmus", "proxy");
        pb.environment().put("ISTHMUS_HOME", home.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(waitFor(p)).isEqualTo(1);
        assertThat(out).contains("proxy-jvm.options is missing from the image");
    }

    /** The arguments the image's launcher hands to java (a fake java on PATH prints them one per line). */
    private static List<String> launch(Path home, Map<String, String> env, String... args) throws IOException {
        Path bin = Files.createDirectories(home.resolve("bin"));
        fakeJava(bin);
        List<String> cmd = new java.util.ArrayList<>(List.of("sh", "kind/image/isthmus"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("ISTHMUS_HOME", home.toString());
        pb.environment().remove("ISTHMUS_CERT_TTL");
        pb.environment().remove("ISTHMUS_JAVA_OPTS");
        pb.environment().putAll(env);
        return run(pb);
    }

    private static Path fakeJava(Path dir) throws IOException {
        Path java = dir.resolve("java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
        assertThat(java.toFile().setExecutable(true)).isTrue();
        return java;
    }

    private static List<String> run(ProcessBuilder pb) throws IOException {
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
        assertThat(waitFor(p)).as("exit status of %s", pb.command()).isZero();
        return lines;
    }

    private static int waitFor(Process p) {
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
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
