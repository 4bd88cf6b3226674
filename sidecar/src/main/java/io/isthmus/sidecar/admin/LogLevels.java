package io.isthmus.sidecar.admin;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and changes log levels at runtime for {@code /logging}. Works with the SLF4J simple
 * backend (the one the {@code isthmus} launcher ships) by adjusting its loggers' levels; other
 * backends are reported as not supported rather than failing.
 */
final class LogLevels {
    private static final Map<String, Integer> LEVELS = Map.of("trace", 0, "debug", 10, "info", 20, "warn", 30, "error", 40,
            "off", 50);

    private LogLevels() {
    }

    private static Field levelField() {
        try {
            Class<?> c = Class.forName("org.slf4j.simple.SimpleLogger");
            Field f = c.getDeclaredField("currentLogLevel");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Logger> loggers() {
        try {
            Object factory = LoggerFactory.getILoggerFactory();
            Field f = factory.getClass().getDeclaredField("loggerMap");
            f.setAccessible(true);
            return (Map<String, Logger>) f.get(factory);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Map.of();
        }
    }

    /** Every known logger and its level; empty when the backend is not supported. */
    static Map<String, String> levels() {
        Field f = levelField();
        Map<String, String> out = new TreeMap<>();
        if (f == null) {
            return out;
        }
        loggers().forEach((name, logger) -> {
            try {
                int v = f.getInt(logger);
                out.put(name, LEVELS.entrySet().stream().filter(e -> e.getValue() == v).map(Map.Entry::getKey)
                        .findFirst().orElse(String.valueOf(v)));
            } catch (IllegalAccessException | IllegalArgumentException e) {
                out.put(name, "?");
            }
        });
        return out;
    }

    /**
     * Sets {@code level} on every logger whose name starts with {@code prefix} ("" = all).
     *
     * @return how many loggers changed
     * @throws IllegalArgumentException for an unknown level or an unsupported backend
     */
    static int set(String prefix, String level) {
        Integer v = LEVELS.get(level.toLowerCase(Locale.ROOT));
        if (v == null) {
            throw new IllegalArgumentException("unknown level '" + level + "', expected one of " + LEVELS.keySet());
        }
        Field f = levelField();
        if (f == null) {
            throw new IllegalArgumentException("the logging backend " + LoggerFactory.getILoggerFactory().getClass().getName()
                    + " does not support runtime level changes");
        }
        int n = 0;
        for (var e : loggers().entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                try {
                    f.setInt(e.getValue(), v);
                    n++;
                } catch (IllegalAccessException | IllegalArgumentException ex) {
                    // a logger of another class; skip
                }
            }
        }
        return n;
    }
}
