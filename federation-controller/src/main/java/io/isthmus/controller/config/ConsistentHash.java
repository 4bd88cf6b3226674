package io.isthmus.controller.config;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A DestinationRule's {@code loadBalancer.consistentHash} (Istio's {@code ConsistentHashLB}): sticky sessions. The
 * requests that carry the same key go to the same endpoint while it is usable.
 *
 * @param key what a request's hash is taken from
 * @param algorithm how keys map to endpoints
 */
public record ConsistentHash(Key key, Algorithm algorithm) {

    /** Envoy's default ring size floor, used when none is given. */
    public static final long DEFAULT_MINIMUM_RING_SIZE = 1024;
    /** Largest ring or table accepted: 8M entries (Envoy's maximum ring size). */
    public static final long MAX_SIZE = 8L * 1024 * 1024;

    public ConsistentHash {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(algorithm, "algorithm");
    }

    /** The request property hashed; exactly one is set. */
    public sealed interface Key permits Header, Cookie, SourceIp, QueryParameter {
    }

    /** {@code httpHeaderName}: the value of this header (lower case). */
    public record Header(String name) implements Key {
    }

    /**
     * {@code httpCookie}: the value of this cookie; when a request has none and a {@code ttl} is given, the proxy makes
     * one up and sets it on the response.
     *
     * @param name the cookie name
     * @param path the cookie's {@code Path}, empty = none
     * @param ttl the cookie's lifetime ({@code 0s} = a session cookie); empty = never generated
     */
    public record Cookie(String name, String path, Optional<Duration> ttl) implements Key {
    }

    /** {@code useSourceIp}: the caller's address. */
    public record SourceIp() implements Key {
    }

    /** {@code httpQueryParameterName}: the value of this query parameter. */
    public record QueryParameter(String name) implements Key {
    }

    /** The hash-to-endpoint mapping. */
    public sealed interface Algorithm permits RingHash, Maglev {
    }

    /** {@code ringHash} (the default): Envoy's RING_HASH with this minimum ring size. */
    public record RingHash(long minimumRingSize) implements Algorithm {
    }

    /** {@code maglev}: Envoy's MAGLEV with this table size (a prime), 0 = Envoy's default (65537). */
    public record Maglev(long tableSize) implements Algorithm {
    }

    static ConsistentHash parse(Fields f) {
        f.allowOnly("httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName", "ringHash", "maglev",
                "minimumRingSize");
        List<Key> keys = new java.util.ArrayList<>();
        if (f.has("httpHeaderName")) {
            String h = f.requiredStr("httpHeaderName").toLowerCase(java.util.Locale.ROOT);
            if (!h.matches("[a-z0-9!#$%&'*+.^_`|~-]+")) {
                throw f.error("httpHeaderName", "not a header name: '" + h + "'");
            }
            keys.add(new Header(h));
        }
        Fields cookie = f.obj("httpCookie");
        if (cookie != null) {
            cookie.allowOnly("name", "path", "ttl");
            String name = cookie.requiredStr("name");
            if (!name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                throw cookie.error("name", "not a cookie name: '" + name + "'");
            }
            String path = cookie.str("path", "");
            if (path.chars().anyMatch(c -> c <= ' ' || c == ';')) {
                throw cookie.error("path", "must not contain spaces or ';', got '" + path + "'");
            }
            keys.add(new Cookie(name, path, ttl(cookie)));
        }
        Boolean sourceIp = f.bool("useSourceIp");
        if (sourceIp != null && sourceIp) {
            keys.add(new SourceIp());
        }
        if (f.has("httpQueryParameterName")) {
            keys.add(new QueryParameter(f.requiredStr("httpQueryParameterName")));
        }
        if (keys.size() != 1) {
            throw f.error(null, "needs exactly one of httpHeaderName, httpCookie, useSourceIp: true, httpQueryParameterName"
                    + (keys.isEmpty() ? "" : ", got " + keys.size()));
        }
        Fields ring = f.obj("ringHash");
        Fields maglev = f.obj("maglev");
        if (ring != null && maglev != null) {
            throw f.error("maglev", "ringHash and maglev cannot both be set");
        }
        if (f.has("minimumRingSize") && (ring != null || maglev != null)) {
            throw f.error("minimumRingSize", "the deprecated minimumRingSize cannot be set with ringHash or maglev");
        }
        Algorithm algorithm;
        if (maglev != null) {
            maglev.allowOnly("tableSize");
            long size = size(maglev, "tableSize");
            if (size != 0 && !BigInteger.valueOf(size).isProbablePrime(30)) {
                throw maglev.error("tableSize", "must be a prime number, got " + size);
            }
            algorithm = new Maglev(size);
        } else {
            Fields holder = ring != null ? ring.allowOnly("minimumRingSize") : f;
            long min = size(holder, "minimumRingSize");
            algorithm = new RingHash(min == 0 ? DEFAULT_MINIMUM_RING_SIZE : min);
        }
        return new ConsistentHash(keys.get(0), algorithm);
    }

    private static Optional<Duration> ttl(Fields cookie) {
        if (!cookie.has("ttl")) {
            return Optional.empty();
        }
        String s = cookie.str("ttl", "");
        if (s.equals("0") || s.equals("0s")) {
            return Optional.of(Duration.ZERO);
        }
        return Optional.of(cookie.duration("ttl"));
    }

    private static long size(Fields f, String field) {
        return f.integer(field, 0, 1, (int) MAX_SIZE);
    }
}
