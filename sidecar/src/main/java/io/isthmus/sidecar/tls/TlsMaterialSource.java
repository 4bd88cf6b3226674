package io.isthmus.sidecar.tls;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where the data plane reads the workload certificate and trust bundle from. Implementations must be
 * safe to call from any thread; the data plane calls {@link #current()} at every TLS handshake.
 */
@FunctionalInterface
public interface TlsMaterialSource {

    /** The material in force now, or empty while no certificate has been obtained yet. */
    Optional<TlsMaterial> current();

    /** A source whose material is replaced by {@link Mutable#set}; used by tests and file sources. */
    static Mutable mutable() {
        return new Mutable();
    }

    /** A settable source. */
    final class Mutable implements TlsMaterialSource {
        private final AtomicReference<TlsMaterial> ref = new AtomicReference<>();

        private Mutable() {
        }

        /** Replaces the material; the next handshake uses it. */
        public void set(TlsMaterial material) {
            ref.set(material);
        }

        @Override
        public Optional<TlsMaterial> current() {
            return Optional.ofNullable(ref.get());
        }
    }
}
