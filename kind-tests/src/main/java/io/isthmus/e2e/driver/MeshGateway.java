package io.isthmus.e2e.driver;

import java.time.Duration;

/** A network's east-west gateway as a scenario sees it: it can be killed and comes back. */
public interface MeshGateway {
    /** Its network. */
    String network();

    /** Kills the gateway (SIGKILL, or its pod deleted with no grace period). */
    void kill();

    /** Brings it back after {@link #kill()} and waits until it serves again. */
    void restart(Duration timeout);
}
