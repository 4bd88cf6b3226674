package io.isthmus.sidecar.xds;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class BackoffTest {
    @Test
    void growsWithJitterUpToTheCeilingAndResets() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), new Random(7));
        long[] ceilings = {100, 200, 400, 800, 1000, 1000};
        for (long c : ceilings) {
            long d = b.next().toMillis();
            assertThat(d).isBetween(c / 2, c);
        }
        b.reset();
        assertThat(b.next().toMillis()).isBetween(50L, 100L);
    }
}
