package io.isthmus.sidecar.telemetry;

import io.vertx.core.MultiMap;
import java.util.UUID;
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

    private RequestIds() {
    }

    /** Ensures both headers are present (generating them when absent or malformed); returns the request id. */
    public static String ensure(MultiMap headers) {
        String id = headers.get(REQUEST_ID);
        if (id == null || id.isEmpty() || id.length() > 128) {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            id = new UUID((r.nextLong() & ~0xF000L) | 0x4000L, (r.nextLong() & ~(0xCL << 60)) | (0x8L << 60)).toString();
            headers.set(REQUEST_ID, id);
        }
        String tp = headers.get(TRACEPARENT);
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        if (tp == null || !validTraceparent(tp) || tp.substring(3, 35).equals(ZERO_TRACE)) {
            headers.set(TRACEPARENT, "00-" + hex(rnd.nextLong()) + hex(rnd.nextLong()) + "-" + hex(rnd.nextLong() | 1) + "-01");
        } else {
            headers.set(TRACEPARENT, tp.substring(0, 36) + hex(rnd.nextLong() | 1) + tp.substring(52));
        }
        return id;
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

    private static String hex(long v) {
        String s = Long.toHexString(v);
        return "0".repeat(16 - s.length()) + s;
    }
}
