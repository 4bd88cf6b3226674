package io.isthmus.sidecar.tls;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.tls.SwappableKeyManager;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where the data plane reads the workload certificate and trust bundle from. Implementations must be
 * safe to call from any thread; the data plane calls {@link #current()} at every TLS handshake and
 * presents the certificate through {@link #keyManager()}.
 */
public interface TlsMaterialSource {

    /** The material in force now, or empty while no certificate has been obtained yet. */
    Optional<TlsMaterial> current();

    /** The key manager presenting the key and chain of {@link #current()}; one per source, swapped on every change. */
    SwappableKeyManager keyManager();

    /** A source whose material is replaced by {@link Mutable#set}; used by tests and file sources. */
    static Mutable mutable() {
        return new Mutable();
    }

    /** A settable source. */
    final class Mutable implements TlsMaterialSource {
        private final AtomicReference<TlsMaterial> ref = new AtomicReference<>();
        private final SwappableKeyManager keyManager = new SwappableKeyManager();

        private Mutable() {
        }

        /**
         * Replaces the material; the next handshake uses it.
         *
         * @throws io.isthmus.trust.TrustException when the key does not belong to the leaf
         */
        public void set(TlsMaterial material) {
            keyManager.set(new CertifiedKey(material.key(), material.chain()));
            ref.set(material);
        }

        @Override
        public Optional<TlsMaterial> current() {
            return Optional.ofNullable(ref.get());
        }

        @Override
        public SwappableKeyManager keyManager() {
            return keyManager;
        }
    }
}
