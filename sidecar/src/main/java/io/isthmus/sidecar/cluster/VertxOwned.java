package io.isthmus.sidecar.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.function.Supplier;

/**
 * Builds a cluster's Vert.x clients so that they belong to Vert.x itself. Vert.x ties a client to the close future of
 * the context it is built in: a client built lazily while a listener's request runs (the first request of an event
 * loop, the first TCP connection) would belong to that listener's deployment and be closed when the listener is
 * replaced (an LDS update that rebinds it), under a cluster that still hands it out: every later request through the
 * cluster would fail with "Client is closed". A cluster closes its clients itself when it is retired.
 */
final class VertxOwned {
    private VertxOwned() {
    }

    /** Runs {@code factory} with no deployment's context current, so what it builds closes only with {@code vertx}. */
    static <T> T build(Vertx vertx, Supplier<T> factory) {
        if (!(vertx instanceof VertxInternal vi)) {
            return factory.get();
        }
        ContextInternal current = vi.getContext();
        if (current == null || current.closeFuture() == vi.closeFuture()) {
            return factory.get();
        }
        ContextInternal owned = vi.contextBuilder().withEventLoop(current.nettyEventLoop()).withCloseFuture(vi.closeFuture())
                .build();
        Object[] out = new Object[1];
        RuntimeException[] failed = new RuntimeException[1];
        // dispatch runs the handler on this thread with `owned` current, and reports (does not throw) what it throws
        owned.dispatch(v -> {
            try {
                out[0] = factory.get();
            } catch (RuntimeException e) {
                failed[0] = e;
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
        @SuppressWarnings("unchecked")
        T built = (T) out[0];
        return built;
    }
}
