package io.isthmus.sidecar.route;

import io.isthmus.sidecar.lb.XxHash64;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How a route hashes its requests for a consistent-hash cluster: Envoy's {@code RouteAction.hash_policy}. Each
 * rule that finds its input in the request gives an xxHash64; the hashes combine as Envoy's do (the hash so far
 * rotated left by one bit, xor the new one), and a {@code terminal} rule that has produced a hash ends the list.
 *
 * @param rules the rules in order; empty = no hash (the cluster then picks at random)
 */
public record HashPolicy(List<Rule> rules) {

    /** No hash policy. */
    public static final HashPolicy NONE = new HashPolicy(List.of());

    public HashPolicy {
        rules = List.copyOf(rules);
    }

    /** True when the route has no rule. */
    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /** The request's hash, empty when no rule found its input. */
    public OptionalLong hash(Request request) {
        boolean found = false;
        long hash = 0;
        for (Rule rule : rules) {
            OptionalLong h = rule.input().hash(request);
            if (h.isPresent()) {
                hash = (found ? Long.rotateLeft(hash, 1) : 0) ^ h.getAsLong();
                found = true;
            }
            if (rule.terminal() && found) {
                break;
            }
        }
        return found ? OptionalLong.of(hash) : OptionalLong.empty();
    }

    /**
     * One entry of the list.
     *
     * @param input what is hashed
     * @param terminal stop here when a hash has been produced (by this rule or an earlier one)
     */
    public record Rule(Input input, boolean terminal) {
        public Rule {
            Objects.requireNonNull(input, "input");
        }
    }

    /** What a rule hashes. */
    public sealed interface Input permits Header, Cookie, SourceIp, QueryParameter {
        /** The hash of this input in the request, empty when the request lacks it. */
        OptionalLong hash(Request request);
    }

    /**
     * The values of a request header, sorted and hashed as one string (so their order does not matter); the
     * pseudo headers {@code :authority}, {@code :path} (with the query), {@code :method} and {@code :scheme} too.
     *
     * @param name the header name, lower case
     */
    public record Header(String name) implements Input {
        public Header {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("header name must not be empty");
            }
            name = name.toLowerCase(java.util.Locale.ROOT);
        }

        @Override
        public OptionalLong hash(Request request) {
            List<String> values = request.headerValues(name);
            if (values.isEmpty()) {
                return OptionalLong.empty();
            }
            byte[][] parts = new byte[values.size()][];
            int length = 0;
            for (int i = 0; i < parts.length; i++) {
                parts[i] = XxHash64.bytes(values.get(i));
                length += parts[i].length;
            }
            Arrays.sort(parts, Arrays::compareUnsigned);
            byte[] all = new byte[length];
            for (int i = 0, at = 0; i < parts.length; at += parts[i].length, i++) {
                System.arraycopy(parts[i], 0, all, at, parts[i].length);
            }
            return OptionalLong.of(XxHash64.hash(all, 0));
        }
    }

    /**
     * A cookie's value. When the request lacks it (or it is empty) and {@code ttl} is set, a value is generated for
     * the request's connection, hashed, and sent back with the response as {@code Set-Cookie: name="value";
     * Max-Age=<ttl seconds>; Path=<path>; HttpOnly} (no Max-Age for a zero ttl: a session cookie), as Envoy does;
     * without {@code ttl}, a request without the cookie has no hash from this rule.
     *
     * @param name the cookie name
     * @param path the cookie's path attribute, empty for none
     * @param ttl the cookie's lifetime, whole seconds; empty = never generate one
     */
    public record Cookie(String name, String path, Optional<Duration> ttl) implements Input {
        public Cookie {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(ttl, "ttl");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("cookie name must not be empty");
            }
            if (ttl.isPresent() && ttl.get().isNegative()) {
                throw new IllegalArgumentException("cookie ttl must not be negative");
            }
        }

        @Override
        public OptionalLong hash(Request request) {
            String value = cookieValue(request.headerValues("cookie"), name);
            if (value.isEmpty() && ttl.isPresent()) {
                value = request.newCookie(name, path, ttl.get());
            }
            return value.isEmpty() ? OptionalLong.empty() : OptionalLong.of(XxHash64.hash(value));
        }

        /**
         * The value of the first cookie called {@code name} in the {@code Cookie} headers, its enclosing double
         * quotes removed; empty when there is none.
         */
        static String cookieValue(List<String> headers, String name) {
            for (String header : headers) {
                for (String pair : header.split(";")) {
                    int eq = pair.indexOf('=');
                    if (eq < 0) {
                        continue;
                    }
                    int from = 0;
                    while (from < eq && pair.charAt(from) == ' ') {
                        from++;
                    }
                    if (pair.regionMatches(from, name, 0, name.length()) && from + name.length() == eq) {
                        String v = pair.substring(eq + 1);
                        return v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
                    }
                }
            }
            return "";
        }
    }

    /** The downstream client's IP address, as the connection manager trusts it (Envoy's {@code source_ip}). */
    public record SourceIp() implements Input {
        @Override
        public OptionalLong hash(Request request) {
            String ip = request.sourceIp();
            return ip == null || ip.isEmpty() ? OptionalLong.empty() : OptionalLong.of(XxHash64.hash(ip));
        }
    }

    /**
     * The first value of a query parameter, as it appears in the request target (not decoded); a parameter
     * without {@code =} has the empty value.
     *
     * @param name the parameter name, compared exactly
     */
    public record QueryParameter(String name) implements Input {
        public QueryParameter {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("query parameter name must not be empty");
            }
        }

        @Override
        public OptionalLong hash(Request request) {
            String query = request.query();
            if (query == null) {
                return OptionalLong.empty();
            }
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                if (key.equals(name)) {
                    return OptionalLong.of(XxHash64.hash(eq < 0 ? "" : pair.substring(eq + 1)));
                }
            }
            return OptionalLong.empty();
        }
    }

    /** What the rules read of a request; generating a cookie also has it set on the response. */
    public interface Request {
        /** The values of a header (lower-case name, pseudo headers included), in order; empty when absent. */
        List<String> headerValues(String name);

        /** The client's IP address, null when unknown. */
        String sourceIp();

        /** The query of the request target (after {@code ?}), null when there is none. */
        String query();

        /**
         * Generates a value for the cookie {@code name} and has it set on the response with that path and
         * lifetime (zero = a session cookie).
         *
         * @return the value
         */
        String newCookie(String name, String path, Duration ttl);
    }
}
