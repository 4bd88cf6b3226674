package io.isthmus.e2e.driver;

import java.util.Objects;

/**
 * A step the target cannot do honestly (a {@link Capability} it lacks), with the reason. The
 * scenario extension turns it into an aborted test, never a pass.
 */
public final class TargetUnsupportedException extends RuntimeException {
    private final String target;
    private final Capability capability;

    /** Why {@code target} cannot do {@code capability}. */
    public TargetUnsupportedException(String target, Capability capability, String reason) {
        super("target " + target + " cannot do " + capability + ": " + reason);
        this.target = Objects.requireNonNull(target, "target");
        this.capability = Objects.requireNonNull(capability, "capability");
    }

    /** The target ({@code local}, {@code kind}). */
    public String target() {
        return target;
    }

    /** What it cannot do. */
    public Capability capability() {
        return capability;
    }
}
