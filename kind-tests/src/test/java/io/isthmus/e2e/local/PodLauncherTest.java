package io.isthmus.e2e.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class PodLauncherTest {

    @Test
    void aPodThatExitedIsNamedWithItsExitCodeOnTheTerminal() {
        assertThat(PodLauncher.exitedLine("east", "reviews-v1-0", OptionalInt.of(137)))
                .isEqualTo("pod exited: east/reviews-v1-0 (exit 137); its endpoint is removed");
        assertThat(PodLauncher.exitedLine("west", "details-v1-0", OptionalInt.empty()))
                .isEqualTo("pod exited: west/details-v1-0 (exit code unknown); its endpoint is removed");
    }
}
