package io.isthmus.sidecar.telemetry;

import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request identity: keeps a valid {@code x-request-id} and W3C {@code traceparent}, generates them
 * when absent, and starts a new span (parent id) for the hop this proxy makes.
 */
public final class RequestIds {

    /** The request id header. */
    public static final String REQUEST_ID = "x-request-id";
    /** The W3C trace context header. */
    public static final String TRACEPARENT = "traceparent";

    private static final String ZERO_TRACE = "00000000000000000000000000000000";
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

    private RequestIds() {
    }

    /** Ensures both headers are present (generating them when absent or malformed); returns the request id. */
    public static String ensure(MultiMap headers) {
        String id = headers.get(REQUEST_ID);
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        if (id == null || id.isEmpty() || id.length() > 128) {
            id = uuid((rnd.nextLong() & ~0xF000L) | 0x4000L, (rnd.nextLong() & ~(0xCL << 60)) | (0x8L << 60));
            headers.set(REQUEST_ID, id);
        }
        String tp = headers.get(TRACEPARENT);
        byte[] b = new byte[55];
        if (tp == null || !validTraceparent(tp) || tp.regionMatches(3, ZERO_TRACE, 0, 32)) {
            b[0] = '0';
            b[1] = '0';
            hex(rnd.nextLong(), b, 3);
            hex(rnd.nextLong(), b, 19);
            b[53] = '0';
            b[54] = '1';
        } else {
            // the caller's version, trace id and flags; a new parent id: the span of this hop
            for (int i = 0; i < 36; i++) {
                b[i] = (byte) tp.charAt(i);
            }
            b[53] = (byte) tp.charAt(53);
            b[54] = (byte) tp.charAt(54);
        }
        b[2] = '-';
        b[35] = '-';
        hex(rnd.nextLong() | 1, b, 36);
        b[52] = '-';
        headers.set(TRACEPARENT, new String(b, StandardCharsets.ISO_8859_1));
        return id;
    }

    /** A UUID's canonical form (as {@link java.util.UUID#toString()}), built in one array. */
    private static String uuid(long msb, long lsb) {
        byte[] b = new byte[36];
        hex(msb >>> 32, b, 0, 8);
        b[8] = '-';
        hex(msb >>> 16, b, 9, 4);
        b[13] = '-';
        hex(msb, b, 14, 4);
        b[18] = '-';
        hex(lsb >>> 48, b, 19, 4);
        b[23] = '-';
        hex(lsb, b, 24, 12);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static boolean validTraceparent(String tp) {
        if (tp.length() != 55 || tp.charAt(2) != '-' || tp.charAt(35) != '-' || tp.charAt(52) != '-') {
            return false;
        }
        for (int i = 0; i < 55; i++) {
            char c = tp.charAt(i);
            if (i != 2 && i != 35 && i != 52 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** The 16 lower-case hex digits of {@code v} into {@code b} from {@code at}. */
    private static void hex(long v, byte[] b, int at) {
        hex(v, b, at, 16);
    }

    /** The lowest {@code digits} hex digits of {@code v}, zero-padded, into {@code b} from {@code at}. */
    private static void hex(long v, byte[] b, int at, int digits) {
        for (int i = at + digits - 1; i >= at; i--) {
            b[i] = HEX[(int) (v & 0xF)];
            v >>>= 4;
        }
    }
}
