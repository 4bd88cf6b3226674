package io.isthmus.e2e.support;

import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.PodHandle;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/** Repeated calls from a pod until their result satisfies a condition; every call is counted in a report. */
public final class Probe {
    private Probe() {
    }

    /**
     * Calls {@code url} from {@code pod} every 200 ms until {@code done} holds (or {@code timeout}
     * passes, failing); returns the milliseconds it took and the last result.
     */
    public static Timed until(MeshPod pod, String url, Predicate<PodHandle.CallResult> done, Duration timeout,
                              ScenarioReport report, String what) {
        long start = System.currentTimeMillis();
        AtomicReference<PodHandle.CallResult> last = new AtomicReference<>();
        await(what).atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
            PodHandle.CallResult r = pod.call(url);
            last.set(r);
            report.count(1, r.status() == 200 ? 0 : 1);
            return done.test(r);
        });
        return new Timed(System.currentTimeMillis() - start, last.get());
    }

    /** How long a probe took and what it saw last. */
    public record Timed(long millis, PodHandle.CallResult last) {
    }
}
