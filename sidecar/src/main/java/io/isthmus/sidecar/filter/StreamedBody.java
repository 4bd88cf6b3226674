package io.isthmus.sidecar.filter;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;

/**
 * A downstream request body streamed to the upstream attempt in force as it arrives, with
 * backpressure both ways, while a {@link ReplayBody} keeps a copy so that the next attempt can be
 * sent the same bytes. Between attempts the downstream is paused. Confined to the request's event
 * loop.
 */
final class StreamedBody {

    private final HttpServerRequest downstream;
    private final ReplayBody replay;
    private boolean ended;
    /** When the downstream body ended (System.nanoTime), 0 while it has not. */
    private long endedNanos;
    /** The attempt's request the body goes to; null between attempts. */
    private HttpClientRequest target;
    private boolean targetEnded;
    /** Runs once when the downstream body has ended; null when nothing waits for it. */
    private Runnable onEnded;

    StreamedBody(HttpServerRequest downstream, long replayLimit) {
        this.downstream = downstream;
        this.replay = new ReplayBody(replayLimit);
    }

    /** Runs {@code r} once the downstream body has ended (at once if it has); before {@link #start}. */
    void onEnded(Runnable r) {
        this.onEnded = r;
    }

    /** Starts reading the downstream body (paused until an attempt is attached); {@code onFailure} when it breaks. */
    void start(Runnable onFailure) {
        if (downstream.isEnded()) {
            ended = true;
            endedNanos = System.nanoTime();
            if (onEnded != null) {
                onEnded.run();
            }
            return;
        }
        downstream.handler(this::onChunk);
        downstream.endHandler(v -> onEnd());
        downstream.exceptionHandler(t -> onFailure.run());
    }

    private void onChunk(Buffer chunk) {
        replay.add(chunk);
        HttpClientRequest t = target;
        if (t != null) {
            t.write(chunk);
            if (t.writeQueueFull()) {
                downstream.pause();
                t.drainHandler(v -> {
                    if (target == t) {
                        downstream.resume();
                    }
                });
            }
        }
    }

    private void onEnd() {
        ended = true;
        endedNanos = System.nanoTime();
        if (target != null && !targetEnded) {
            targetEnded = true;
            target.end();
        }
        if (onEnded != null) {
            onEnded.run();
        }
    }

    /** The whole body as held for a replay; null when it is not held whole (past the limit, or committed). */
    Buffer whole() {
        if (!ended || !replay.replayable()) {
            return null;
        }
        Buffer all = Buffer.buffer();
        for (Buffer b : replay.chunks()) {
            all.appendBuffer(b);
        }
        return all;
    }

    /** Sends the head and the copy so far to an attempt's request, then everything the downstream sends. */
    void attach(HttpClientRequest creq) {
        target = creq;
        targetEnded = false;
        if (downstream.getHeader(HttpHeaders.CONTENT_LENGTH) == null) {
            creq.setChunked(true); // no effect on HTTP/2 frames, but lets the body be written as it comes
        }
        List<Buffer> held = replay.chunks();
        for (Buffer b : held) {
            creq.write(b);
        }
        if (ended) {
            targetEnded = true;
            creq.end();
            return;
        }
        if (held.isEmpty()) {
            creq.sendHead();
        }
        downstream.resume();
    }

    /** Stops sending to the current attempt; the downstream waits for the next one. */
    void detach() {
        target = null;
        if (!ended) {
            downstream.pause();
        }
    }

    /** When the downstream body ended (System.nanoTime), 0 while it has not. */
    long endedNanos() {
        return endedNanos;
    }

    /** True when the current attempt has been sent the whole request. */
    boolean sentWhole() {
        return targetEnded;
    }

    /** A response is relayed to the client: the copy is dropped and the request no longer replayable. */
    void commit() {
        replay.drop();
    }

    /** True while every byte read so far is held for a replay. */
    boolean replayable() {
        return replay.replayable();
    }
}
