package io.isthmus.controller.xds;

import java.util.LinkedHashSet;
import java.util.Objects;

/**
 * Bounds how many responses are out and not yet answered (ACK or NACK) across every proxy, as
 * Istio's push throttle does: a response holds a slot until its proxy answers or goes away, and a
 * stream that finds no slot waits in line and is woken, in order, when one frees. With thousands of
 * proxies this bounds the memory of a full push to {@code limit} responses in flight.
 */
final class PushThrottle {
    private final int limit;
    private final LinkedHashSet<ProxyStream> waiting = new LinkedHashSet<>();
    private int inFlight;

    PushThrottle(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, got " + limit);
        }
        this.limit = limit;
    }

    /** Takes a slot, or queues {@code stream} to be woken when one frees. */
    synchronized boolean tryAcquire(ProxyStream stream) {
        Objects.requireNonNull(stream, "stream");
        if (inFlight < limit) {
            inFlight++;
            waiting.remove(stream);
            return true;
        }
        waiting.add(stream);
        return false;
    }

    /** Frees a slot and wakes the first waiting stream. */
    void release() {
        ProxyStream next = null;
        synchronized (this) {
            inFlight--;
            var it = waiting.iterator();
            if (it.hasNext()) {
                next = it.next();
                it.remove();
            }
        }
        if (next != null) {
            next.onReady();
        }
    }

    /** Forgets a stream that closed. */
    synchronized void forget(ProxyStream stream) {
        waiting.remove(stream);
    }

    /** Responses out and not answered yet. */
    synchronized int inFlight() {
        return inFlight;
    }
}
