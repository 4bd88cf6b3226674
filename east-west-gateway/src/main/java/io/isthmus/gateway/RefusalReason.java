package io.isthmus.gateway;

import io.isthmus.mesh.sni.HelloRefusal;
import java.util.Locale;

/**
 * Why the gateway closed a connection without passing it on. Each value is the {@code reason} label
 * of the refusal counter, so an operator can see what is being turned away.
 *
 * <p>The first values are the ClientHello parser's {@link HelloRefusal}s, by the same names
 * ({@link #of(HelloRefusal)}); the rest are the gateway's own (timeouts, routing, limits).
 */
public enum RefusalReason {
    /** Plaintext or random bytes. */
    NOT_TLS,
    /** An SSL 2.0 ClientHello. */
    SSLV2,
    /** A TLS version the gateway does not pass (record major version not 3, SSL 3.0 hello). */
    UNSUPPORTED_VERSION,
    /** A non-handshake record inside the ClientHello. */
    UNEXPECTED_RECORD,
    /** A record longer than 2^14 bytes or an empty one. */
    RECORD_OVERFLOW,
    /** A handshake message other than ClientHello first. */
    NOT_CLIENT_HELLO,
    /** The ClientHello is larger than allowed. */
    OVERSIZED,
    /** The ClientHello's lengths do not add up. */
    MALFORMED,
    /** An extension type twice. */
    DUPLICATE_EXTENSION,
    /** Two server names. */
    DUPLICATE_SNI,
    /** A server name that is no DNS host name. */
    INVALID_SNI,
    /** No server name. */
    NO_SNI,
    /** The ClientHello did not arrive completely before the deadline (slowloris). */
    HELLO_TIMEOUT,
    /** The client closed the connection before its ClientHello was complete. */
    CLOSED_BEFORE_HELLO,
    /** The server name is an IP address. */
    SNI_IP_ADDRESS,
    /** The server name is not a mesh name ({@code outbound_.<port>_.<subset>_.<host>}) nor a fixed route. */
    SNI_NOT_MESH,
    /** The gateway had no routes from the controller yet (just started) and none came in time. */
    NOT_READY,
    /** A mesh name of no service this gateway knows on its network. */
    UNKNOWN_SERVICE,
    /** A known service with no endpoint to pass to. */
    NO_HEALTHY_ENDPOINT,
    /** Every endpoint tried refused or timed out the connection. */
    UPSTREAM_CONNECT_FAILED,
    /** The gateway is at its maximum of concurrent connections. */
    CONNECTION_LIMIT,
    /** The source address opened connections faster than allowed. */
    RATE_LIMITED;

    /** The refusal for a parser refusal of the same name. */
    public static RefusalReason of(HelloRefusal hello) {
        return valueOf(hello.name());
    }

    /** The metric label: the lower-case name. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
