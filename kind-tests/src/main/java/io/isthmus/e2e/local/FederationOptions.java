package io.isthmus.e2e.local;

import io.isthmus.e2e.net.NetworkMode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How the local federation starts.
 *
 * @param workDir      where PKI, kubeconfigs, bootstraps, tokens and logs go ({@code target/e2e} in tests)
 * @param readyTimeout how long to wait for each process to come up (default 120 s on a loaded 2-core machine)
 * @param progress     receives one line per step ({@code isthmus local up} prints them)
 * @param proxyCertTtl workload certificate lifetime the sidecars ask for ({@code --cert-ttl}); zero
 *                     = the sidecar's default (24 h). Short lifetimes make renewals happen during a run.
 * @param mode         network namespaces (isolated, root), loopback addresses (not isolated, no
 *                     privileges) or {@link NetworkMode#AUTO} (namespaces when this machine allows them)
 */
public record FederationOptions(Path workDir, Duration readyTimeout, Consumer<String> progress, Duration proxyCertTtl,
                                NetworkMode mode) {
    public FederationOptions {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(readyTimeout, "readyTimeout");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(proxyCertTtl, "proxyCertTtl");
        if (proxyCertTtl.isNegative()) {
            throw new IllegalArgumentException("proxyCertTtl: must be zero or positive");
        }
        if (readyTimeout.isNegative() || readyTimeout.isZero()) {
            throw new IllegalArgumentException("readyTimeout: must be positive");
        }
    }

    /** Options in network-namespace mode (as before modes existed). */
    public FederationOptions(Path workDir, Duration readyTimeout, Consumer<String> progress, Duration proxyCertTtl) {
        this(workDir, readyTimeout, progress, proxyCertTtl, NetworkMode.NETNS);
    }

    /** Defaults under {@code workDir}, progress to the log only, network namespaces. */
    public static FederationOptions of(Path workDir) {
        return new FederationOptions(workDir, Duration.ofSeconds(120), line -> { }, Duration.ZERO);
    }

    /** The same options with another progress sink. */
    public FederationOptions withProgress(Consumer<String> p) {
        return new FederationOptions(workDir, readyTimeout, p, proxyCertTtl, mode);
    }

    /** The same options with another network mode. */
    public FederationOptions withMode(NetworkMode m) {
        return new FederationOptions(workDir, readyTimeout, progress, proxyCertTtl, m);
    }
}
