package io.isthmus.e2e.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code ip} (and a few other) commands in the caller's network namespace and returns their output. */
public final class Ip {
    private static final long TIMEOUT_SECONDS = 30;

    private Ip() {
    }

    /** Runs {@code ip <args>}; throws with its stderr when it fails. */
    public static String ip(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** Runs {@code ip <args>} and ignores a failure (for removals of things that may be gone). */
    public static void ipQuietly(String... args) {
        try {
            ip(args);
        } catch (NetException e) {
            // already gone is fine
        }
    }

    /** Runs a command; returns stdout; throws with the command and stderr when the exit code is not 0. */
    public static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new NetException(String.join(" ", cmd) + ": timed out");
            }
            if (p.exitValue() != 0) {
                throw new NetException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": "
                        + new String(err, StandardCharsets.UTF_8).trim());
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NetException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetException(String.join(" ", cmd) + ": interrupted", e);
        }
    }

    /** Whether {@code ip netns} can be used here: root and the command exists. */
    public static boolean netnsAvailable() {
        try {
            if (!"0".equals(run(List.of("id", "-u")).trim())) {
                return false;
            }
            ip("netns", "list");
            return true;
        } catch (NetException e) {
            return false;
        }
    }
}
