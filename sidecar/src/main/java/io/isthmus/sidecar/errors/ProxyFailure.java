package io.isthmus.sidecar.errors;

import java.util.Objects;

/**
 * A failure the proxy answers itself instead of relaying an upstream response.
 *
 * @param flag why (also decides the status unless {@code status} overrides it)
 * @param status the HTTP status of the local reply, 400..599, or 204 for a timeout answered as Envoy's
 *     {@code x-envoy-upstream-rq-timeout-alt-response} asks (a reply without a body)
 * @param detail a short human-readable reason, written to the body and the access log
 */
public record ProxyFailure(ResponseFlag flag, int status, String detail) {

    public ProxyFailure {
        Objects.requireNonNull(flag, "flag");
        Objects.requireNonNull(detail, "detail");
        if ((status < 400 || status > 599) && status != 204) {
            throw new IllegalArgumentException("status must be 400..599 or 204, got " + status);
        }
    }

    /** A failure with the flag's usual status. */
    public static ProxyFailure of(ResponseFlag flag, String detail) {
        return new ProxyFailure(flag, flag.status(), detail);
    }
}
