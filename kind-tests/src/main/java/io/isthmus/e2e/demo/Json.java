package io.isthmus.e2e.demo;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The few JSON helpers the demo app needs (flat objects of strings and numbers), without a library on its start-up path. */
public final class Json {
    private Json() {
    }

    /** A JSON string literal. */
    public static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** A flat JSON object; values that are Numbers or Booleans are written bare, others as strings, raw {@link Raw} as-is. */
    public static String object(Map<String, ?> fields) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append(str(e.getKey())).append(':');
            Object v = e.getValue();
            if (v == null) {
                b.append("null");
            } else if (v instanceof Number || v instanceof Boolean || v instanceof Raw) {
                b.append(v);
            } else {
                b.append(str(v.toString()));
            }
        }
        return b.append('}').toString();
    }

    /** Already-encoded JSON. */
    public record Raw(String json) {
        @Override
        public String toString() {
            return json;
        }
    }

    /** The string value of a top-level field of a flat JSON object, or null. */
    public static String field(String json, String name) {
        if (json == null) {
            return null;
        }
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|(-?[0-9.]+|true|false|null))")
                .matcher(json);
        if (!m.find()) {
            return null;
        }
        return m.group(2) != null ? m.group(2).replace("\\\"", "\"").replace("\\\\", "\\") : m.group(3);
    }
}
