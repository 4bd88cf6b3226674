package io.isthmus.e2e.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.e2e.net.NetworkMode;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LocalSummaryTest {
    private static LocalSummary.Scene scene(NetworkMode mode) {
        boolean netns = mode == NetworkMode.NETNS;
        return new LocalSummary.Scene(mode, "east", "client-v1-0", netns ? "isthmus-east-client-v1-0" : "", netns ? "10.1.1.12" : "127.1.3.1",
                "reviews.default.svc.cluster.local:9080",
                List.of(new LocalSummary.TargetPod("reviews-v1-0", netns ? "isthmus-east-reviews-v1-0" : "", netns ? "10.1.1.10" : "127.1.1.1", 101),
                        new LocalSummary.TargetPod("reviews-v2-0", netns ? "isthmus-east-reviews-v2-0" : "", netns ? "10.1.1.11" : "127.1.2.1", 102)),
                Optional.of(new String[] {"details.default.svc.cluster.local:9080", "west"}),
                Optional.of("reviews.default.svc.cluster.local:9090"), netns ? "10.1.0.1:15014" : "127.1.0.1:15014");
    }

    @Test
    void namespaceModeCommandsNameThisFederationsPodsAndAddresses() {
        String s = LocalSummary.tryCommands(scene(NetworkMode.NETNS));

        assertThat(s).doesNotContain("<").contains(
                "ip netns exec isthmus-east-client-v1-0 curl -s http://reviews.default.svc.cluster.local:9080/",
                "ip netns exec isthmus-east-client-v1-0 curl -s http://details.default.svc.cluster.local:9080/",
                "details runs only in west",
                "ip netns exec isthmus-local curl -s 'http://10.1.1.12:15080/grpc/hello?target=reviews.default.svc.cluster.local:9090'",
                "watch -n 0.5 \"ip netns exec isthmus-east-client-v1-0 curl -s http://reviews.default.svc.cluster.local:9080/\"",
                "for ns in isthmus-east-reviews-v1-0 isthmus-east-reviews-v2-0; do ip netns pids $ns | xargs -r kill; done",
                "ip netns exec isthmus-local curl -s 'http://10.1.1.10:15080/fault?code=503'",
                "ip netns exec isthmus-east-client-v1-0 curl -s localhost:15090/stats/prometheus | grep istio_requests_total",
                "ip netns exec isthmus-local ./isthmus proxy-status --controller http://10.1.0.1:15014",
                "ip netns exec isthmus-local ./isthmus proxy-config endpoints client-v1-0 --controller http://10.1.0.1:15014",
                "./isthmus local down");
    }

    @Test
    void explanationsAreWrappedAndCommandsAreNot() {
        assertThat(LocalSummary.wrap("aaa bbb ccc", "  ", 9)).isEqualTo("  aaa bbb\n  ccc\n");
        assertThat(LocalSummary.wrap("averyveryverylongword x", "  ", 9)).isEqualTo("  averyveryverylongword\n  x\n");
        String s = LocalSummary.tryCommands(scene(NetworkMode.NETNS));
        assertThat(s.lines().filter(l -> l.startsWith("      "))).allSatisfy(l -> assertThat(l).hasSizeLessThanOrEqualTo(110));
        assertThat(s).contains("  for ns in isthmus-east-reviews-v1-0 isthmus-east-reviews-v2-0; do ip netns pids $ns | xargs -r kill; done\n");
    }

    @Test
    void loopbackModeCommandsNeedNoNamespaces() {
        String s = LocalSummary.tryCommands(scene(NetworkMode.LOOPBACK));

        assertThat(s).doesNotContain("ip netns").contains(
                "curl -s 'http://127.1.3.1:15080/call?url=http://reviews.default.svc.cluster.local:9080/'",
                "watch -n 0.5 \"curl -s 'http://127.1.3.1:15080/call?url=http://reviews.default.svc.cluster.local:9080/'\"",
                "kill 101 102",
                "curl -s 'http://127.1.1.1:15080/fault?code=503'",
                "curl -s http://127.1.3.1:15090/stats/prometheus",
                "./isthmus proxy-status --controller http://127.1.0.1:15014");
    }
}
