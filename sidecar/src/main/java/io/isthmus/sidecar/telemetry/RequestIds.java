package io.isthmus.sidecar.telemetry;

import io.vertx.core.MultiMap;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Request identity: keeps a valid {@code x-request-id} and W3C {@code traceparent}, generates them
 * when absent, and starts a new span (parent id) for the hop this proxy makes.
 */
public final class RequestIds {

    /** The request id header. */
    public static final String REQUEST_ID = "x-request-id";
    /** The W3C trace context header. */
    public static final String TRACEPARENT = "traceparent";

    private static final Pattern TRACEPARENT_FORMAT = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    private static final String ZERO_TRACE = "00000000000000000000000000000000";

    private RequestIds() {
    }

    /** Ensures both headers are present (generating them when absent or malformed); returns the request id. */
    public static String ensure(MultiMap headers) {
        String id = headers.get(REQUEST_ID);
        if (id == null || id.isEmpty() || id.length() > 128) {
            id = UUID.randomUUID().toString();
            headers.set(REQUEST_ID, id);
        }
        String tp = headers.get(TRACEPARENT);
        ThreadLocalRandom r = ThreadLocalRandom.current();
        if (tp == null || !TRACEPARENT_FORMAT.matcher(tp).matches() || tp.substring(3, 35).equals(ZERO_TRACE)) {
            headers.set(TRACEPARENT, "00-" + hex(r.nextLong()) + hex(r.nextLong()) + "-" + hex(r.nextLong() | 1) + "-01");
        } else {
            headers.set(TRACEPARENT, tp.substring(0, 36) + hex(r.nextLong() | 1) + tp.substring(52));
        }
        return id;
    }

    private static String hex(long v) {
        String s = Long.toHexString(v);
        return "0".repeat(16 - s.length()) + s;
    }
}
