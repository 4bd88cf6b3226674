package io.isthmus.controller.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.mesh.Locality;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRegistryTest {

    private static final String CONTENT = """
            cluster: vms
            network: network-east
            services:
            - name: reviews
              namespace: default
              clusterIPs: [10.96.1.10, "fd00:96::10"]
              ports: [{name: http, port: 9080, targetPort: 19080}]
              workloads:
              - {address: 10.1.0.11, name: reviews-vm-1, serviceAccount: reviews, locality: us-east/us-east-1a,
                 labels: {version: v1}}
              - {address: 10.1.0.12, health: UNHEALTHY}
            gateways:
            - {network: network-west, address: 10.255.0.2}
            """;

    @Test
    void loadsWatchesAndKeepsLastGoodOnError(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("registry.yaml");
        Files.writeString(f, CONTENT);
        InMemoryRegistry reg = new InMemoryRegistry();
        try (FileRegistry fr = new FileRegistry(f, "file", "net", reg, Clock.systemUTC()).start(Duration.ofMillis(50))) {
            var svc = reg.service("reviews.default.svc.cluster.local").orElseThrow();
            assertThat(svc.endpoints()).hasSize(2);
            assertThat(svc.endpoints().get(0).locality()).isEqualTo(new Locality("us-east", "us-east-1a", ""));
            assertThat(svc.endpoints().get(0).targetPort(svc.ports().get(0))).isEqualTo(19080);
            assertThat(svc.endpoints().get(1).health().serving()).isFalse();
            assertThat(svc.clusters().get("vms").vips()).containsExactly("10.96.1.10", "fd00:96::10");
            assertThat(reg.gateways()).containsExactly(new NetworkGateway("network-west", "vms", "10.255.0.2", 15443));

            replace(f, CONTENT.replace("10.96.1.10,", "reviews,"));
            await().until(() -> reg.clusters().get(0).state() == ClusterStatus.State.ERRORED);
            assertThat(reg.clusters().get(0).reason()).contains("services[0].clusterIPs: 'reviews' is not an IP address");

            replace(f, CONTENT.replace("targetPort: 19080", "targetPort: lots"));
            await().until(() -> reg.clusters().get(0).reason().contains("services[0].ports[0].targetPort"));
            assertThat(reg.clusters().get(0).state()).isEqualTo(ClusterStatus.State.ERRORED);
            assertThat(reg.service("reviews.default.svc.cluster.local")).isPresent();

            replace(f, CONTENT.replace("  - {address: 10.1.0.12, health: UNHEALTHY}\n", ""));
            await().until(() -> reg.service("reviews.default.svc.cluster.local").orElseThrow().endpoints().size() == 1);
            assertThat(reg.clusters().get(0).state()).isEqualTo(ClusterStatus.State.SYNCED);
        }
    }

    /**
     * Replaces the file as config tooling does, by writing a temporary file and renaming it over the old
     * one: a file rewritten in place can be read half-written (even empty, which is a valid registry).
     */
    private static void replace(Path f, String content) throws Exception {
        Path tmp = Files.writeString(f.resolveSibling(f.getFileName() + ".tmp"), content);
        Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void aWorkloadLabelledWithoutASidecarIsCalledInPlaintext() {
        FileRegistry.Content c = FileRegistry.parse(CONTENT.replace("labels: {version: v1}",
                "labels: {version: v1, security.istio.io/tlsMode: disabled}"), "c", "n");
        var endpoints = c.services().get(0).endpoints();
        assertThat(endpoints.get(0).takesMeshMtls()).as("labelled disabled").isFalse();
        assertThat(endpoints.get(1).takesMeshMtls()).as("no label: the mesh's mTLS").isTrue();
    }

    @Test
    void unknownFieldIsNamed() {
        assertThatThrownBy(() -> FileRegistry.parse("services:\n- name: a\n  replicas: 3\n", "c", "n"))
                .hasMessageContaining("services[0].replicas: unknown field");
    }
}
