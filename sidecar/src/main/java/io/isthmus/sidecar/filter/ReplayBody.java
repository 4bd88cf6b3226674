package io.isthmus.sidecar.filter;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The replay copy of a streamed request body: the chunks read so far, kept while the request may
 * still be retried (Envoy's {@code per_request_buffer_limit_bytes}). Once the body grows past the
 * limit, or once a response is being relayed, the copy is dropped and the request is no longer
 * retriable. Confined to the request's event loop.
 */
final class ReplayBody {

    private final long limit;
    private final List<Buffer> chunks = new ArrayList<>();
    private long bytes;
    private boolean dropped;

    ReplayBody(long limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0");
        }
        this.limit = limit;
    }

    /** Keeps a copy of a chunk, or drops the whole copy when the body passes the limit. */
    void add(Buffer chunk) {
        if (dropped) {
            return;
        }
        bytes += chunk.length();
        if (bytes > limit) {
            drop();
            return;
        }
        chunks.add(chunk.copy());
    }

    /** Drops the copy for good: the request can no longer be replayed. */
    void drop() {
        dropped = true;
        chunks.clear();
    }

    /** True while every chunk read so far is held. */
    boolean replayable() {
        return !dropped;
    }

    /** The chunks held, in order. */
    List<Buffer> chunks() {
        return List.copyOf(chunks);
    }
}
