package io.isthmus.sidecar.errors;

import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.StreamResetException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Maps an upstream attempt's exception to the response flag Envoy would report for it. The one
 * place that knows which transport failures are connect failures, overflows, timeouts or resets.
 */
public final class FailureClassifier {

    private FailureClassifier() {
    }

    /** The flag for a failed attempt. */
    public static ResponseFlag classify(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ConnectionPoolTooBusyException) {
                return ResponseFlag.UPSTREAM_OVERFLOW;
            }
            if (c instanceof TimeoutException) {
                return ResponseFlag.UPSTREAM_REQUEST_TIMEOUT;
            }
            if (c instanceof ConnectException || c instanceof NoRouteToHostException || c instanceof UnknownHostException
                    || c instanceof SSLException || c.getClass().getSimpleName().equals("ConnectTimeoutException")) {
                return ResponseFlag.UPSTREAM_CONNECTION_FAILURE;
            }
            if (c instanceof StreamResetException) {
                return ResponseFlag.UPSTREAM_REMOTE_RESET;
            }
            String m = String.valueOf(c.getMessage());
            if (m.contains("Connection refused") || m.contains("connection timed out")) {
                return ResponseFlag.UPSTREAM_CONNECTION_FAILURE;
            }
        }
        return ResponseFlag.UPSTREAM_REMOTE_RESET;
    }
}
