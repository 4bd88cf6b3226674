package io.isthmus.sidecar.errors;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.function.Consumer;

/**
 * Writes local replies: the status of a {@link ProxyFailure}, its response flags in
 * {@value #FLAGS_HEADER}, and a one-line text body (none for a 204). Every local reply of the proxy goes
 * through here.
 */
public final class ErrorResponder {

    /** Response header carrying Envoy's response flags of a local reply. */
    public static final String FLAGS_HEADER = "x-isthmus-response-flags";

    private ErrorResponder() {
    }

    /**
     * Answers the downstream with the failure, unless a response has already started.
     *
     * @param flags the flags to report, e.g. {@code "URX,UF"}
     * @return true when the reply was written
     */
    public static boolean respond(HttpServerResponse response, ProxyFailure failure, String flags) {
        return respond(response, failure, flags, null);
    }

    /**
     * Answers the downstream with the failure, unless a response has already started, with the response header
     * mutation of the request's route applied first (as Envoy applies a route's {@code response_headers_to_add} to
     * local replies); the proxy's own headers are set after it, the content type only where it set none.
     *
     * @param flags the flags to report, e.g. {@code "URX,UF"}
     * @param routeHeaders mutates the reply's headers; null when the request has no route or its route none
     * @return true when the reply was written
     */
    public static boolean respond(HttpServerResponse response, ProxyFailure failure, String flags,
                                  Consumer<MultiMap> routeHeaders) {
        if (response.headWritten() || response.ended() || response.closed()) {
            return false;
        }
        response.setStatusCode(failure.status());
        response.headers().clear();
        if (routeHeaders != null) {
            routeHeaders.accept(response.headers());
        }
        response.putHeader(FLAGS_HEADER, flags);
        response.putHeader("server", "isthmus");
        if (failure.status() == 204) {
            response.end(); // a 204 has no content
            return true;
        }
        if (routeHeaders == null || !response.headers().contains("content-type")) {
            response.putHeader("content-type", "text/plain");
        }
        response.end(Buffer.buffer(failure.detail() + "\n"));
        return true;
    }
}
