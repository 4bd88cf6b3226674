package io.isthmus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./isthmus} launcher at the repository root, run in a copy of the repository's shape with
 * stand-ins for {@code mvn} and {@code java}: when it rebuilds and what the terminal shows meanwhile.
 */
class LauncherScriptTest {
    private static final Path SCRIPT = Path.of(System.getProperty("user.dir")).resolve("../isthmus").normalize();

    @TempDir
    Path dir;
    private Path repo;
    private Path bin;
    private Path jar;

    private static void executable(Path p, String text) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static void age(Path p, long secondsAgo) throws IOException {
        Files.setLastModifiedTime(p, FileTime.from(Instant.now().minusSeconds(secondsAgo)));
    }

    @BeforeEach
    void layout() throws IOException {
        repo = dir.resolve("repo");
        bin = dir.resolve("bin");
        Files.createDirectories(repo.resolve("cli/target/lib"));
        Files.createDirectories(repo.resolve("a/src/main/java"));
        Files.createDirectories(repo.resolve("a/src/test/java"));
        Files.createDirectories(bin);
        executable(repo.resolve("isthmus"), Files.readString(SCRIPT));
        executable(bin.resolve("mvn"), """
                #!/bin/sh
                echo "[INFO] Scanning for projects..."
                echo "[INFO] Building Isthmus mesh-api 0.1.0-SNAPSHOT                           [1/2]"
                echo "[INFO] Building jar: /somewhere/mesh-api.jar"
                echo "[INFO] Building Isthmus cli 0.1.0-SNAPSHOT                       [2/2]"
                if [ -n "$FAIL" ]; then echo "[ERROR] COMPILATION ERROR A.java:[3,4]"; exit 1; fi
                touch "$PWD/cli/target/isthmus-cli.jar"
                """);
        executable(bin.resolve("java"), "#!/bin/sh\necho java-ran\n");
        jar = repo.resolve("cli/target/isthmus-cli.jar");
        Files.writeString(repo.resolve("a/src/main/java/A.java"), "class A {}");
        Files.writeString(jar, "jar");
        age(repo.resolve("a/src/main/java/A.java"), 100);
        age(jar, 50);
    }

    private String[] run(Map<String, String> env) throws Exception {
        return run(env, "version");
    }

    private String[] run(Map<String, String> env, String command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of("bash", repo.resolve("isthmus").toString(), command))
                .redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("TMPDIR", dir.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new String[] {Integer.toString(p.waitFor()), out};
    }

    @Test
    void aNewerTestSourceDoesNotRebuildButANewerMainSourceDoes() throws Exception {
        Files.writeString(repo.resolve("a/src/test/java/ATest.java"), "class ATest {}");
        String[] r = run(Map.of());
        assertThat(r[1]).doesNotContain("building").contains("java-ran");

        Files.writeString(repo.resolve("a/src/main/java/A.java"), "class A { int x; }");
        r = run(Map.of());
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).contains("a few minutes the first time")
                .contains("  building Isthmus mesh-api 0.1.0-SNAPSHOT [1/2]\n  building Isthmus cli 0.1.0-SNAPSHOT [2/2]\n")
                .doesNotContain("Scanning").doesNotContain("Building jar").contains("java-ran");
    }

    @Test
    void proxiesAndEastWestGatewaysRunWithTheProxysJvmOptionsAndOtherCommandsWithout() throws Exception {
        Path options = repo.resolve("sidecar/src/main/resources/io/isthmus/sidecar/jvm.options");
        Files.createDirectories(options.getParent());
        Files.writeString(options, "-Xmn24m\n");
        executable(bin.resolve("java"), "#!/bin/sh\necho \"java-ran $*\"\n");
        String file = "@" + options;
        assertThat(run(Map.of(), "proxy")[1]).contains(file);
        assertThat(run(Map.of(), "gateway")[1]).contains(file);
        assertThat(run(Map.of(), "controller")[1]).contains("java-ran").doesNotContain(file);
    }

    @Test
    void aFailedBuildShowsMavensErrorsAndKeepsItsWholeOutput() throws Exception {
        Files.writeString(repo.resolve("a/src/main/java/A.java"), "class A { broken }");
        String[] r = run(Map.of("FAIL", "1"));
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1]).contains("the build failed").contains("[ERROR] COMPILATION ERROR A.java:[3,4]").doesNotContain("java-ran");
        try (var logs = Files.list(dir)) {
            assertThat(logs.filter(p -> p.getFileName().toString().startsWith("isthmus-build.")).toList()).hasSize(1);
        }
    }
}
