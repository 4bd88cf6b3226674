package io.isthmus.controller.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ConfigDirectory} read by hand ({@link ConfigDirectory#reload()}): several files and
 * formats, API-server resources winning over files', bad documents, removed files.
 */
class ConfigDirectoryTest {

    @TempDir
    Path dir;

    private static String vs(String name, String host) {
        return """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: %s, namespace: default}
                spec:
                  hosts: [%s]
                  http:
                  - route:
                    - destination: {host: %s}
                """.formatted(name, host, host);
    }

    private static List<String> hosts(ConfigRegistry r) {
        return r.current().all(VirtualService.class).stream().map(v -> v.ref().name() + "=" + v.hosts().get(0)).sorted().toList();
    }

    @Test
    void filesYamlAndJsonAndListsAreReadAndOtherResourcesIgnored() throws Exception {
        Files.writeString(dir.resolve("a.yaml"), vs("a", "a.default.svc.cluster.local") + "---\n" + """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: other}
                data: {x: y}
                """);
        Files.writeString(dir.resolve("b.json"), """
                {"apiVersion": "v1", "kind": "List", "items": [
                  {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "b", "namespace": "default"},
                   "spec": {"hosts": ["b.default.svc.cluster.local"], "http": [{"route": [{"destination": {"host": "b.default.svc.cluster.local"}}]}]}}
                ]}
                """);
        Files.writeString(dir.resolve("c.txt"), vs("c", "c.default.svc.cluster.local"));
        ConfigRegistry registry = new ConfigRegistry("isthmus-system");
        try (ConfigDirectory d = new ConfigDirectory(dir, registry)) {
            d.reload();
            assertThat(hosts(registry)).containsExactly("a=a.default.svc.cluster.local", "b=b.default.svc.cluster.local");
            assertThat(registry.rejected()).isEmpty();

            Files.delete(dir.resolve("b.json"));
            d.reload();
            assertThat(hosts(registry)).containsExactly("a=a.default.svc.cluster.local");
        }
    }

    @Test
    void anApiServersResourceWinsOverTheFilesOfTheSameName() throws Exception {
        Files.writeString(dir.resolve("a.yaml"), vs("a", "from-file.example.com"));
        ConfigRegistry registry = new ConfigRegistry("isthmus-system");
        try (ConfigDirectory d = new ConfigDirectory(dir, registry)) {
            d.reload();
            assertThat(hosts(registry)).containsExactly("a=from-file.example.com");
            registry.upsert("east", ConfigFiles.parse(vs("a", "from-api.example.com"), "api").get(0));
            assertThat(hosts(registry)).containsExactly("a=from-api.example.com");
            // the file changes: the API server's still wins
            Files.writeString(dir.resolve("a.yaml"), vs("a", "from-file-2.example.com"));
            d.reload();
            assertThat(hosts(registry)).containsExactly("a=from-api.example.com");
            // gone from the API server: the file's is in force again
            registry.delete("east", new ResourceRef(VirtualService.KIND, "default", "a"));
            assertThat(hosts(registry)).containsExactly("a=from-file-2.example.com");
        }
    }

    @Test
    void aBadDocumentIsReportedWithFileAndIndexAndTheRestAndTheLastGoodVersionStay() throws Exception {
        Path f = dir.resolve("a.yaml");
        Files.writeString(f, vs("a", "a1.example.com") + "---\n" + vs("b", "b1.example.com"));
        ConfigRegistry registry = new ConfigRegistry("isthmus-system");
        try (ConfigDirectory d = new ConfigDirectory(dir, registry)) {
            d.reload();
            assertThat(hosts(registry)).containsExactly("a=a1.example.com", "b=b1.example.com");

            // document 1 invalid, document 2 changed: 1 keeps its last good version, 2 applies
            Files.writeString(f, vs("a", "a2.example.com").replace("  hosts:", "  bogus: 1\n  hosts:") + "---\n"
                    + vs("b", "b2.example.com"));
            d.reload();
            assertThat(hosts(registry)).containsExactly("a=a1.example.com", "b=b2.example.com");
            assertThat(registry.rejected()).singleElement().satisfies(e -> {
                assertThat(e.origin()).isEqualTo(f + " document 1");
                assertThat(e.field()).isEqualTo("spec.bogus");
                assertThat(e.resource()).isEqualTo(new ResourceRef(VirtualService.KIND, "default", "a"));
                assertThat(e.getMessage()).startsWith(f + " document 1: VirtualService default/a: spec.bogus: ");
            });

            // document 2 is not YAML: document 1 applies, b stays as it was
            Files.writeString(f, vs("a", "a3.example.com") + "---\n{{{ not: yaml\n");
            d.reload();
            assertThat(hosts(registry)).containsExactly("a=a3.example.com", "b=b2.example.com");
            assertThat(registry.rejected()).singleElement().satisfies(e -> {
                assertThat(e.origin()).isEqualTo(f + " document 2");
                assertThat(e.resource().kind()).isEqualTo("Document");
            });

            // fixed: b is gone because the file no longer names it, no rejection left
            Files.writeString(f, vs("a", "a3.example.com"));
            d.reload();
            assertThat(hosts(registry)).containsExactly("a=a3.example.com");
            assertThat(registry.rejected()).isEmpty();
        }
    }
}
