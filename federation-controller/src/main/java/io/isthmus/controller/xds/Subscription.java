package io.isthmus.controller.xds;

import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;

/**
 * One proxy's subscription to one resource type and the protocol state around it: the names it
 * asked for, the version and nonce of the last response, the last ACKed version and the reason of
 * the last NACK. Confined to its {@link ProxyStream} (guarded by the stream's lock).
 */
final class Subscription {
    final XdsType type;
    Set<String> names = new TreeSet<>();
    boolean wildcard;
    boolean requested;
    String sentVersion = "";
    String sentNonce = "";
    String ackedVersion = "";
    String nackReason = "";
    int sentCount;
    Instant sentAt = Instant.EPOCH;
    /** The last response holds a push-throttle slot until the proxy answers it. */
    boolean holdsSlot;
    /** A response is owed but the stream was not ready for it (flow control); sent on ready. */
    boolean deferred;
    /** The owed response answers a subscription change, so it goes out even if its version is unchanged. */
    boolean deferredAnswer;

    Subscription(XdsType type) {
        this.type = type;
    }

    boolean wants(String name) {
        return wildcard || names.contains(name);
    }

    SyncStatus status() {
        SyncStatus.State state;
        if (!nackReason.isEmpty()) {
            state = SyncStatus.State.NACKED;
        } else if (sentNonce.isEmpty() || sentVersion.equals(ackedVersion)) {
            state = SyncStatus.State.SYNCED;
        } else {
            state = SyncStatus.State.STALE;
        }
        return new SyncStatus(type, state, sentVersion, ackedVersion, nackReason, sentCount, sentAt);
    }
}
