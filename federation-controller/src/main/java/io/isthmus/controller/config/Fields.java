package io.isthmus.controller.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of one object of a resource's spec that knows its path: every accessor names the
 * field, and {@link #allowOnly} rejects fields outside the supported subset. Package-private: only
 * the parsers use it.
 */
final class Fields {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    private final ResourceRef ref;
    private final String path;
    private final Map<String, Object> map;

    Fields(ResourceRef ref, String path, Map<String, Object> map) {
        this.ref = ref;
        this.path = path;
        this.map = map == null ? Map.of() : map;
    }

    ResourceRef ref() {
        return ref;
    }

    String path() {
        return path;
    }

    String at(String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    ConfigException error(String field, String reason) {
        return new ConfigException(ref, field == null ? path : at(field), reason);
    }

    /** Rejects any field not in {@code supported}. */
    Fields allowOnly(String... supported) {
        Set<String> ok = Set.of(supported);
        for (String k : map.keySet()) {
            if (!ok.contains(k)) {
                throw error(k, "field not supported (supported here: " + String.join(", ", supported) + ")");
            }
        }
        return this;
    }

    /** The keys of this object. */
    java.util.Set<String> stringKeys() {
        return map.keySet();
    }

    boolean has(String field) {
        return map.get(field) != null;
    }

    String str(String field, String dflt) {
        Object v = map.get(field);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof String s)) {
            throw error(field, "must be a string, got " + describe(v));
        }
        return s;
    }

    String requiredStr(String field) {
        String s = str(field, null);
        if (s == null || s.isEmpty()) {
            throw error(field, "required");
        }
        return s;
    }

    <E extends Enum<E>> E enumValue(String field, Class<E> type, E dflt) {
        String s = str(field, null);
        if (s == null) {
            return dflt;
        }
        try {
            return Enum.valueOf(type, s);
        } catch (IllegalArgumentException e) {
            throw error(field, "must be one of " + java.util.Arrays.toString(type.getEnumConstants()) + ", got " + s);
        }
    }

    int integer(String field, int dflt, int min, int max) {
        Object v = map.get(field);
        if (v == null) {
            return dflt;
        }
        long n;
        if (v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())) {
            n = num.longValue();
        } else if (v instanceof String s && s.matches("-?\\d{1,10}")) {
            n = Long.parseLong(s);
        } else {
            throw error(field, "must be an integer, got " + describe(v));
        }
        if (n < min || n > max) {
            throw error(field, "must be " + min + ".." + max + ", got " + n);
        }
        return (int) n;
    }

    /** A number (integer or decimal, e.g. a percentage's {@code value}) within {@code min..max}; {@code dflt} when absent. */
    double decimal(String field, double dflt, double min, double max) {
        Object v = map.get(field);
        if (v == null) {
            return dflt;
        }
        double n;
        if (v instanceof Number num) {
            n = num.doubleValue();
        } else if (v instanceof String s && s.matches("-?\\d{1,10}(\\.\\d{1,12})?")) {
            n = Double.parseDouble(s);
        } else {
            throw error(field, "must be a number, got " + describe(v));
        }
        if (!(n >= min && n <= max)) {
            throw error(field, "must be " + plain(min) + ".." + plain(max) + ", got " + plain(n));
        }
        return n;
    }

    Boolean bool(String field) {
        Object v = map.get(field);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Boolean b)) {
            throw error(field, "must be true or false, got " + describe(v));
        }
        return b;
    }

    /** A duration such as {@code 1.5s}, {@code 250ms}, {@code 1m}, {@code 1h}; null when absent. */
    Duration duration(String field) {
        String s = str(field, null);
        if (s == null) {
            return null;
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw error(field, "must be a duration like 1s, 250ms, 1.5s, 1m, got " + s);
        }
        double n = Double.parseDouble(m.group(1));
        double ms = switch (m.group(2)) {
            case "ms" -> n;
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            default -> n * 3_600_000;
        };
        if (ms < 1) {
            throw error(field, "must be at least 1ms, got " + s);
        }
        return Duration.ofMillis((long) ms);
    }

    Fields obj(String field) {
        Object v = map.get(field);
        if (v == null) {
            return null;
        }
        return new Fields(ref, at(field), asMap(field, v));
    }

    List<Fields> objects(String field) {
        List<Fields> out = new ArrayList<>();
        List<?> l = list(field);
        for (int i = 0; i < l.size(); i++) {
            String p = at(field) + "[" + i + "]";
            if (!(l.get(i) instanceof Map<?, ?>)) {
                throw new ConfigException(ref, p, "must be an object, got " + describe(l.get(i)));
            }
            out.add(new Fields(ref, p, asMap(field, l.get(i))));
        }
        return out;
    }

    List<String> strings(String field) {
        List<String> out = new ArrayList<>();
        List<?> l = list(field);
        for (int i = 0; i < l.size(); i++) {
            if (!(l.get(i) instanceof String s)) {
                throw new ConfigException(ref, at(field) + "[" + i + "]", "must be a string, got " + describe(l.get(i)));
            }
            out.add(s);
        }
        return out;
    }

    /** A string → string map (labels, selectors). */
    Map<String, String> stringMap(String field) {
        Object v = map.get(field);
        if (v == null) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : asMap(field, v).entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw error(field + "." + e.getKey(), "must be a string, got " + describe(e.getValue()));
            }
            out.put(e.getKey(), s);
        }
        return out;
    }

    /** Every entry of an object whose keys are free-form (header names, port numbers), each as Fields. */
    Map<String, Fields> entries(String field) {
        Object v = map.get(field);
        Map<String, Fields> out = new LinkedHashMap<>();
        if (v == null) {
            return out;
        }
        for (Map.Entry<String, Object> e : asMap(field, v).entrySet()) {
            out.put(e.getKey(), new Fields(ref, at(field) + "." + e.getKey(), asMap(field + "." + e.getKey(), e.getValue())));
        }
        return out;
    }

    <T> List<T> each(String field, Function<Fields, T> parse) {
        return objects(field).stream().map(parse).toList();
    }

    private List<?> list(String field) {
        Object v = map.get(field);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l)) {
            throw error(field, "must be a list, got " + describe(v));
        }
        return l;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> asMap(String field, Object v) {
        if (!(v instanceof Map<?, ?> m)) {
            throw error(field, "must be an object, got " + describe(v));
        }
        return (Map<String, Object>) m;
    }

    private static String plain(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    private static String describe(Object v) {
        if (v instanceof List<?>) {
            return "a list";
        }
        if (v instanceof Map<?, ?>) {
            return "an object";
        }
        return v == null ? "null" : "'" + v + "'";
    }
}
