package io.isthmus.sidecar.errors;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

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
        if (response.headWritten() || response.ended() || response.closed()) {
            return false;
        }
        response.setStatusCode(failure.status());
        response.headers().clear();
        response.putHeader(FLAGS_HEADER, flags);
        response.putHeader("server", "isthmus");
        if (failure.status() == 204) {
            response.end(); // a 204 has no content
            return true;
        }
        response.putHeader("content-type", "text/plain");
        response.end(Buffer.buffer(failure.detail() + "\n"));
        return true;
    }
}
