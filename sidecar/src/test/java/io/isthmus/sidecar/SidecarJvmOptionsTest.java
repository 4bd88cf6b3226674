package io.isthmus.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy's JVM options: one list, readable by launchers, accepted by this JVM. */
class SidecarJvmOptionsTest {

    @Test
    void theListHasOnlyOptionsAndBoundsTheHeap() {
        List<String> options = Sidecar.jvmOptions();
        assertThat(options).isNotEmpty().allSatisfy(o -> assertThat(o).startsWith("-").doesNotContain(" ", "#"));
        assertThat(options).anySatisfy(o -> assertThat(o).startsWith("-Xmx"));
        assertThat(options).contains("-XX:+UseSerialGC");
    }

    @Test
    void aJvmStartsWithThem(@TempDir Path dir) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString()));
        cmd.addAll(Sidecar.jvmOptions());
        cmd.add("-version");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
        assertThat(p.waitFor()).as("java %s: %s", cmd, Files.exists(dir.resolve("out"))
                ? Files.readString(dir.resolve("out")) : "").isZero();
    }

    @Test
    void sidecarsRunTwoEventLoopsAndGatewaysOnePerCore() {
        assertThat(Sidecar.vertxOptions().getEventLoopPoolSize()).isEqualTo(Sidecar.EVENT_LOOPS).isEqualTo(2);
        assertThat(Sidecar.vertxOptions(SidecarConfig.Mode.ROUTER).getEventLoopPoolSize())
                .isEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors()));
    }
}
