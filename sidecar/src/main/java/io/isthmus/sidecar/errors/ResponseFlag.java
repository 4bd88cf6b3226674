package io.isthmus.sidecar.errors;

/**
 * An Envoy response flag: the short code that says why a request did not get a normal upstream
 * answer, written to the access log, to the {@code response_flags} metric label and to the
 * {@link ErrorResponder#FLAGS_HEADER} response header.
 */
public enum ResponseFlag {
    /** No healthy upstream endpoint in the cluster. */
    NO_HEALTHY_UPSTREAM("UH", 503),
    /** Connecting to the upstream failed (refused, timed out, TLS handshake failed). */
    UPSTREAM_CONNECTION_FAILURE("UF", 503),
    /** A circuit breaker overflowed (connections, pending requests, requests, retries). */
    UPSTREAM_OVERFLOW("UO", 503),
    /** The upstream did not answer within the route or per-try timeout. */
    UPSTREAM_REQUEST_TIMEOUT("UT", 504),
    /** The upstream connection was reset or closed before a complete response. */
    UPSTREAM_REMOTE_RESET("UR", 503),
    /** Retries were exhausted; the last attempt's failure is reported with it. */
    UPSTREAM_RETRY_LIMIT_EXCEEDED("URX", 503),
    /** No route matched the request. */
    NO_ROUTE_FOUND("NR", 404),
    /** The route names a cluster the proxy does not know. */
    NO_CLUSTER_FOUND("NC", 503),
    /** Denied by an RBAC policy. */
    RBAC_ACCESS_DENIED("RBAC", 403),
    /** Refused by the local rate limit filter. */
    RATE_LIMITED("RL", 429),
    /** Aborted by fault injection. */
    FAULT_INJECTED("FI", 503),
    /** Delayed by fault injection (informational; the request continued). */
    DELAY_INJECTED("DI", 200),
    /** The downstream request was malformed or too large. */
    DOWNSTREAM_PROTOCOL_ERROR("DPE", 400),
    /** The downstream closed the connection before the response was complete. */
    DOWNSTREAM_CONNECTION_TERMINATION("DC", 499);

    private final String code;
    private final int status;

    ResponseFlag(String code, int status) {
        this.code = code;
        this.status = status;
    }

    /** Envoy's short code, e.g. {@code UH}. */
    public String code() {
        return code;
    }

    /** The HTTP status a local reply with this flag carries. */
    public int status() {
        return status;
    }
}
