package io.isthmus.e2e.driver.kind;

import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.TargetUnsupportedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A kind API server stopped and started the way the driver does it from the Docker host (the
 * kube-apiserver static pod manifest moved out of the control-plane node container and back),
 * with a stand-in docker whose {@code mv} stops and restarts a fabric8 mock API server; and the
 * refusal, with its reason, where docker does not answer.
 */
class KindApiServerTest {
    private final List<List<String>> commands = new CopyOnWriteArrayList<>();
    private MockKindClusters kind;
    private volatile boolean dockerUp = true;

    @BeforeEach
    void up() {
        kind = new MockKindClusters("east", "west");
        kind.install("east", "us-east", "172.18.0.2");
        kind.install("west", "us-west", "172.18.0.3");
    }

    @AfterEach
    void down() {
        kind.close();
    }

    /** A stand-in docker: answers version and inspect; exec mv stops / restarts west's mock API server. */
    private KindNodes.Result docker(List<String> command) {
        commands.add(command);
        if (!dockerUp) {
            return new KindNodes.Result(1, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock\nmore");
        }
        String line = String.join(" ", command);
        if (line.startsWith("docker version")) {
            return new KindNodes.Result(0, "27.0.3\n");
        }
        if (line.startsWith("docker inspect")) {
            return new KindNodes.Result(0, command.get(command.size() - 1).endsWith("-control-plane") ? "true\n" : "false\n");
        }
        if (line.equals("docker exec west-control-plane mv " + KindNodes.MANIFEST + " " + KindNodes.PARKED)) {
            kind.stop("west");
            return new KindNodes.Result(0, "");
        }
        if (line.startsWith("docker exec west-control-plane sh -c")) {
            kind.restart("west");
            return new KindNodes.Result(0, "");
        }
        return new KindNodes.Result(1, "unexpected: " + line);
    }

    private KindFederation connect(Path dir) throws IOException {
        return KindFederation.connect(new KindOptions(List.of("kind-east", "kind-west"), kind.kubeconfigFile(dir), Map.of(),
                Duration.ofSeconds(20)), p -> true, new KindNodes(this::docker));
    }

    @Test
    void the_api_server_is_stopped_and_started_by_moving_its_static_pod_manifest(@TempDir Path dir) throws IOException {
        try (KindFederation fed = connect(dir)) {
            assertThat(fed.unsupported(Capability.STOP_API_SERVER)).isEmpty();
            fed.cluster("west").stopApiServer();
            assertThat(commands).contains(List.of("docker", "exec", "west-control-plane", "mv", KindNodes.MANIFEST, KindNodes.PARKED));
            assertThatThrownBy(() -> fed.cluster("west").client().namespaces().list()).as("west's API server is down");
            assertThat(fed.cluster("east").client().namespaces().list()).as("east's API server still answers").isNotNull();

            fed.cluster("west").restartApiServer();
            assertThat(commands.get(commands.size() - 1)).startsWith("docker", "exec", "west-control-plane", "sh", "-c")
                    .last().asString().contains("mv " + KindNodes.PARKED + " " + KindNodes.MANIFEST);
            assertThat(fed.cluster("west").client().namespaces().list()).as("west's API server answers again").isNotNull();
        }
    }

    @Test
    void without_docker_the_step_is_refused_with_the_reason(@TempDir Path dir) throws IOException {
        dockerUp = false;
        try (KindFederation fed = connect(dir)) {
            assertThat(fed.unsupported(Capability.STOP_API_SERVER)).hasValueSatisfying(r -> assertThat(r)
                    .contains("static pod", "docker does not answer", "Cannot connect to the Docker daemon").doesNotContain("more"));
            assertThatThrownBy(() -> fed.cluster("west").stopApiServer()).isInstanceOf(TargetUnsupportedException.class)
                    .hasMessageContaining("docker exec");
            assertThat(commands).noneMatch(c -> c.contains("mv"));
        }
    }

    @Test
    void a_node_container_that_does_not_run_is_named() {
        KindNodes nodes = new KindNodes(c -> String.join(" ", c).startsWith("docker version") ? new KindNodes.Result(0, "27")
                : new KindNodes.Result(1, "Error: No such object: north-control-plane"));
        assertThat(nodes.unavailable("north")).hasValueSatisfying(r -> assertThat(r)
                .contains("no running container north-control-plane", "No such object"));
    }
}
