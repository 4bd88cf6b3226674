package io.isthmus.trust.ca;

import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.TrustException;
import java.time.Duration;
import java.util.Objects;

/**
 * The rules a CA applies to every workload certificate it issues.
 *
 * @param trustDomain the only trust domain this CA issues for (default {@code cluster.local})
 * @param defaultTtl the lifetime when the caller asks for none (default 24 h)
 * @param maxTtl the longest lifetime granted; longer requests are cut to it (default 7 days)
 * @param backdate how far notBefore is set before now, for peers whose clocks run a little slow (default 1 min)
 */
public record IssuancePolicy(String trustDomain, Duration defaultTtl, Duration maxTtl, Duration backdate) {

    /** Default workload certificate lifetime: 24 hours. */
    public static final Duration DEFAULT_TTL = Duration.ofHours(24);
    /** Default maximum lifetime: 7 days. */
    public static final Duration DEFAULT_MAX_TTL = Duration.ofDays(7);
    /** Default clock-skew allowance: 1 minute. */
    public static final Duration DEFAULT_BACKDATE = Duration.ofMinutes(1);

    public IssuancePolicy {
        Objects.requireNonNull(trustDomain, "trustDomain");
        Objects.requireNonNull(defaultTtl, "defaultTtl");
        Objects.requireNonNull(maxTtl, "maxTtl");
        Objects.requireNonNull(backdate, "backdate");
        new SpiffeId(trustDomain, "");
        if (defaultTtl.isZero() || defaultTtl.isNegative()) {
            throw new TrustException("defaultTtl must be positive, got " + defaultTtl);
        }
        if (maxTtl.compareTo(defaultTtl) < 0) {
            throw new TrustException("maxTtl " + maxTtl + " is shorter than defaultTtl " + defaultTtl);
        }
        if (backdate.isNegative()) {
            throw new TrustException("backdate must not be negative, got " + backdate);
        }
    }

    /** The defaults for a trust domain: 24 h, at most 7 days, 1 minute backdate. */
    public static IssuancePolicy defaults(String trustDomain) {
        return new IssuancePolicy(trustDomain, DEFAULT_TTL, DEFAULT_MAX_TTL, DEFAULT_BACKDATE);
    }

    /** This policy with another maximum lifetime. */
    public IssuancePolicy withMaxTtl(Duration max) {
        return new IssuancePolicy(trustDomain, defaultTtl.compareTo(max) > 0 ? max : defaultTtl, max, backdate);
    }

    /** This policy with another default lifetime. */
    public IssuancePolicy withDefaultTtl(Duration ttl) {
        return new IssuancePolicy(trustDomain, ttl, maxTtl.compareTo(ttl) < 0 ? ttl : maxTtl, backdate);
    }

    /** The lifetime to grant for a request: the default when none or zero was asked, capped at the maximum. */
    public Duration grantedTtl(Duration requested) {
        if (requested == null || requested.isZero()) {
            return defaultTtl;
        }
        if (requested.isNegative()) {
            throw new IssuanceRefusedException(IssuanceRefusedException.Refusal.INVALID_TTL,
                    "requested lifetime " + requested + " is negative");
        }
        return requested.compareTo(maxTtl) > 0 ? maxTtl : requested;
    }
}
