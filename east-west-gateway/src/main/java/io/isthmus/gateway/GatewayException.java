package io.isthmus.gateway;

/** A failure of the gateway to start or to take its configuration, with what was wrong. */
public class GatewayException extends Exception {

    public GatewayException(String message) {
        super(message);
    }

    public GatewayException(String message, Throwable cause) {
        super(message, cause);
    }
}
