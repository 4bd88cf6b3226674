package io.isthmus.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.isthmus.sidecar.bootstrap.NodeInfo;
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

    /**
     * With the small heap the options give, Netty's allocator would run in its low-memory mode, which pools no buffer over
     * 16.5 KB: every 64 KiB read of a relayed stream would be a fresh zeroed direct buffer.
     */
    @Test
    void nettyPoolsLargeBuffersUnderThem(@TempDir Path dir) throws Exception {
        assertThat(probeAllocator(dir, Sidecar.jvmOptions())).contains("allocator=AdaptiveByteBufAllocator pooled=true");
        List<String> without = Sidecar.jvmOptions().stream().filter(o -> !o.startsWith("-Dio.netty.allocator.lowMemory")).toList();
        assertThat(probeAllocator(dir, without)).as("the probe tells the two modes apart").contains("pooled=false");
    }

    private static String probeAllocator(Path dir, List<String> options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(options);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), AllocatorProbe.class.getName()));
        Path out = dir.resolve("probe.out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(p.waitFor()).as("%s: %s", cmd, Files.readString(out)).isZero();
        return Files.readString(out);
    }

    @Test
    void istiosProxyConfigConcurrencyInTheNodeMetadataSetsTheEventLoops() {
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(Sidecar.eventLoops(SidecarConfig.Mode.SIDECAR, node(null))).isEqualTo(2);
        assertThat(Sidecar.eventLoops(SidecarConfig.Mode.ROUTER, node(null))).isEqualTo(Math.max(2, cores));
        assertThat(Sidecar.eventLoops(SidecarConfig.Mode.SIDECAR, node(Value.newBuilder().setNumberValue(1).build())))
                .isEqualTo(1);
        assertThat(Sidecar.eventLoops(SidecarConfig.Mode.ROUTER, node(Value.newBuilder().setStringValue("3").build())))
                .as("a string, as annotations carry it").isEqualTo(3);
        assertThat(Sidecar.eventLoops(SidecarConfig.Mode.SIDECAR, node(Value.newBuilder().setNumberValue(0).build())))
                .as("0: one per core").isEqualTo(cores);
        for (Value bad : List.of(Value.newBuilder().setNumberValue(-1).build(),
                Value.newBuilder().setNumberValue(1.5).build(),
                Value.newBuilder().setStringValue("two").build())) {
            assertThatThrownBy(() -> Sidecar.eventLoops(SidecarConfig.Mode.SIDECAR, node(bad)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("node.metadata.PROXY_CONFIG.concurrency: '")
                    .hasMessageContaining("0 = one per core");
        }
    }

    private static NodeInfo node(Value concurrency) {
        Struct.Builder metadata = Struct.newBuilder();
        if (concurrency != null) {
            metadata.putFields("PROXY_CONFIG", Value.newBuilder().setStructValue(
                    Struct.newBuilder().putFields("concurrency", concurrency)).build());
        }
        return new NodeInfo(Node.newBuilder()
                .setId("sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local").setMetadata(metadata).build());
    }

    @Test
    void sidecarsRunTwoEventLoopsAndGatewaysOnePerCore() {
        assertThat(Sidecar.vertxOptions().getEventLoopPoolSize()).isEqualTo(Sidecar.EVENT_LOOPS).isEqualTo(2);
        assertThat(Sidecar.vertxOptions(SidecarConfig.Mode.ROUTER).getEventLoopPoolSize())
                .isEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors()));
    }
}
