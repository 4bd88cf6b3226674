package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.endpoint.Endpoint;
import io.vertx.core.http.HttpClientRequest;

/** One upstream attempt of a request and its state. Confined to the request's event loop. */
final class Attempt {
    final Endpoint endpoint;
    /** The attempt's request once the pool gave one; null before. */
    HttpClientRequest request;
    /** Its per-try timer, -1 when none. */
    long timer = -1;
    /** Its outcome has been handled (answered, failed, timed out or abandoned). */
    boolean done;
    /** Its response is being relayed to the client. */
    boolean responded;
    /** It is a retry (holds a slot of the cluster's retry circuit breaker). */
    boolean isRetry;
    /** A gRPC answer whose outcome is recorded from its trailers. */
    boolean outcomeAtEnd;

    Attempt(Endpoint endpoint) {
        this.endpoint = endpoint;
    }
}
