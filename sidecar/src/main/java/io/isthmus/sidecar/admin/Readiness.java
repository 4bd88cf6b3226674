package io.isthmus.sidecar.admin;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Whether the proxy is ready for traffic ({@code :15021/healthz/ready}): every named condition
 * must hold — a certificate, the first complete config — and the proxy must not be draining.
 * Thread-safe.
 */
public final class Readiness {
    /** Condition: a workload certificate is in force. */
    public static final String CERTIFICATE = "certificate";
    /** Condition: the first complete configuration is in force. */
    public static final String CONFIG = "config";
    /** Condition: not shutting down. */
    public static final String NOT_DRAINING = "not-draining";

    private final Map<String, Boolean> conditions = new ConcurrentHashMap<>();

    /** Creates readiness with {@link #CERTIFICATE} and {@link #CONFIG} not yet met. */
    public Readiness() {
        conditions.put(CERTIFICATE, false);
        conditions.put(CONFIG, false);
        conditions.put(NOT_DRAINING, true);
    }

    /** Marks a condition met or not. */
    public void set(String condition, boolean met) {
        conditions.put(condition, met);
    }

    /** Empty when ready, else the conditions not met. */
    public Optional<String> notReadyReason() {
        String missing = conditions.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey)
                .sorted().collect(Collectors.joining(", "));
        return missing.isEmpty() ? Optional.empty() : Optional.of("not ready: " + missing);
    }

    /** Whether every condition holds. */
    public boolean ready() {
        return notReadyReason().isEmpty();
    }
}
