package io.isthmus.sidecar.lb;

import java.nio.charset.StandardCharsets;

/**
 * The 64-bit xxHash (XXH64) of Yann Collet, the hash Envoy uses for route hash policies and to place
 * hosts on a ring or a Maglev table; with the same bytes and seed it gives Envoy's values.
 */
public final class XxHash64 {

    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;

    private XxHash64() {
    }

    /** The hash of {@code s} with seed 0, over {@link #bytes(String) its bytes}. */
    public static long hash(String s) {
        return hash(bytes(s), 0);
    }

    /** The hash of {@code s} with {@code seed}, over {@link #bytes(String) its bytes}. */
    public static long hash(String s, long seed) {
        return hash(bytes(s), seed);
    }

    /** The hash of {@code data} with {@code seed}. */
    public static long hash(byte[] data, long seed) {
        return hash(data, data.length, seed);
    }

    /** The hash of the first {@code len} bytes of {@code data} with {@code seed}. */
    public static long hash(byte[] data, int len, long seed) {
        if (len < 0 || len > data.length) {
            throw new IndexOutOfBoundsException("len " + len + " of " + data.length + " bytes");
        }
        int p = 0;
        long h;
        if (len >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            for (int limit = len - 32; p <= limit; p += 32) {
                v1 = round(v1, long64(data, p));
                v2 = round(v2, long64(data, p + 8));
                v3 = round(v3, long64(data, p + 16));
                v4 = round(v4, long64(data, p + 24));
            }
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = merge(h, v1);
            h = merge(h, v2);
            h = merge(h, v3);
            h = merge(h, v4);
        } else {
            h = seed + P5;
        }
        h += len;
        for (; p + 8 <= len; p += 8) {
            h ^= round(0, long64(data, p));
            h = Long.rotateLeft(h, 27) * P1 + P4;
        }
        if (p + 4 <= len) {
            h ^= (int32(data, p) & 0xFFFF_FFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            p += 4;
        }
        for (; p < len; p++) {
            h ^= (data[p] & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
        }
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    /**
     * The bytes of a header value, cookie, query or address as they were on the wire: HTTP text reaches the proxy
     * one byte per character (ISO-8859-1), so those bytes; any other text as UTF-8.
     */
    public static byte[] bytes(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            if (s.charAt(i) > 0xFF) {
                return s.getBytes(StandardCharsets.UTF_8);
            }
        }
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static long round(long acc, long input) {
        acc += input * P2;
        acc = Long.rotateLeft(acc, 31);
        return acc * P1;
    }

    private static long merge(long acc, long v) {
        acc ^= round(0, v);
        return acc * P1 + P4;
    }

    private static long long64(byte[] b, int i) {
        return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24
                | (b[i + 4] & 0xFFL) << 32 | (b[i + 5] & 0xFFL) << 40 | (b[i + 6] & 0xFFL) << 48
                | (b[i + 7] & 0xFFL) << 56;
    }

    private static int int32(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
    }
}
