package io.isthmus.controller.xds;

import java.time.Instant;
import java.util.Objects;

/**
 * Where one proxy stands for one resource type: what was last sent, what it last accepted, and
 * why it refused when it did.
 *
 * @param type the resource type
 * @param state SYNCED (the last response was ACKed), STALE (sent, not yet answered) or NACKED
 * @param sentVersion the version last sent; empty when nothing was sent yet
 * @param ackedVersion the version last ACKed; empty when none
 * @param nackReason the proxy's error message of the last NACK of the latest response; empty
 *     unless NACKED
 * @param resourceCount the number of resources in the last response
 * @param sentAt when the last response was sent; {@link Instant#EPOCH} when never
 */
public record SyncStatus(
        XdsType type, State state, String sentVersion, String ackedVersion, String nackReason, int resourceCount, Instant sentAt) {

    /** The sync state of a proxy, Istio's names. */
    public enum State {
        /** The proxy ACKed the latest response. */
        SYNCED,
        /** A response is out and not yet answered. */
        STALE,
        /** The proxy refused the latest response and runs on its last good config. */
        NACKED
    }

    public SyncStatus {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(sentVersion, "sentVersion");
        Objects.requireNonNull(ackedVersion, "ackedVersion");
        Objects.requireNonNull(nackReason, "nackReason");
        Objects.requireNonNull(sentAt, "sentAt");
    }

    /** The combined state of several types: NACKED beats STALE beats SYNCED. */
    public static State worst(Iterable<SyncStatus> all) {
        State w = State.SYNCED;
        for (SyncStatus s : all) {
            if (s.state.ordinal() > w.ordinal()) {
                w = s.state;
            }
        }
        return w;
    }
}
