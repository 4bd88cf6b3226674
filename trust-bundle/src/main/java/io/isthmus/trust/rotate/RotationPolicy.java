package io.isthmus.trust.rotate;

import io.isthmus.trust.TrustException;
import java.time.Duration;
import java.util.Objects;

/**
 * When a {@link CertificateRotator} renews and how it retries.
 *
 * @param renewAt the fraction of the lifetime after which to renew, in (0, 1) (default 0.5)
 * @param jitter the random spread around {@code renewAt}, as a fraction of the lifetime, in [0, renewAt)
 *     (default 0.05)
 * @param minBackoff the first retry delay after a failure (default 1 s), doubled per failure
 * @param maxBackoff the longest retry delay (default 30 s)
 */
public record RotationPolicy(double renewAt, double jitter, Duration minBackoff, Duration maxBackoff) {

    public RotationPolicy {
        Objects.requireNonNull(minBackoff, "minBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (!(renewAt > 0 && renewAt < 1)) {
            throw new TrustException("renewAt must be in (0, 1), got " + renewAt);
        }
        if (!(jitter >= 0 && jitter < renewAt && renewAt + jitter < 1)) {
            throw new TrustException("jitter must be >= 0 and keep renewAt ± jitter inside (0, 1), got " + jitter);
        }
        if (minBackoff.isNegative() || minBackoff.isZero() || maxBackoff.compareTo(minBackoff) < 0) {
            throw new TrustException("backoff must satisfy 0 < minBackoff <= maxBackoff, got " + minBackoff
                    + " and " + maxBackoff);
        }
    }

    /** 50 % of the lifetime, ±5 % jitter, retries from 1 s doubling up to 30 s. */
    public static RotationPolicy defaults() {
        return new RotationPolicy(0.5, 0.05, Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    /** This policy renewing at another fraction. */
    public RotationPolicy withRenewAt(double fraction) {
        return new RotationPolicy(fraction, Math.min(jitter, fraction / 2), minBackoff, maxBackoff);
    }

    /** This policy with another jitter. */
    public RotationPolicy withJitter(double j) {
        return new RotationPolicy(renewAt, j, minBackoff, maxBackoff);
    }

    /** This policy with other retry delays. */
    public RotationPolicy withBackoff(Duration min, Duration max) {
        return new RotationPolicy(renewAt, jitter, min, max);
    }
}
