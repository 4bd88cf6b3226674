package io.isthmus.e2e.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling waits of the runner (the tests use Awaitility; the runner has no test dependencies). */
final class Waits {
    private Waits() {
    }

    /** Polls {@code condition} every 100 ms until it holds; throws with {@code what} and {@code detail} after {@code timeout}. */
    static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<String> detail) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (Fatal e) {
                throw new IllegalStateException(what + ": " + e.getMessage() + "\n" + detail.get(), e);
            } catch (RuntimeException e) {
                // not yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what
                        + "\n" + detail.get());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + what, e);
            }
        }
    }

    /** Thrown by a condition when waiting longer cannot help (the process died). */
    static final class Fatal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Fatal(String message) {
            super(message);
        }
    }

    /** Whether a TCP connection to host:port succeeds within 500 ms. */
    static boolean tcpOpen(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
