package io.isthmus.mesh.sni;

/**
 * Why a connection's first bytes were not accepted as a TLS ClientHello carrying one server name.
 * Proxies count refused connections by these reasons.
 */
public enum HelloRefusal {
    /** The first bytes are not a TLS handshake record (plaintext, HTTP, random bytes). */
    NOT_TLS,
    /** An SSL 2.0 (or SSL 2.0-compatible) ClientHello, which cannot carry a server name. */
    SSLV2,
    /** A TLS record whose version is not 3.x, or a ClientHello older than TLS 1.0. */
    UNSUPPORTED_VERSION,
    /** A record of another type (alert, application data...) before the ClientHello was complete. */
    UNEXPECTED_RECORD,
    /** A TLS record longer than 2^14 bytes, or an empty handshake record. */
    RECORD_OVERFLOW,
    /** The first handshake message is not a ClientHello. */
    NOT_CLIENT_HELLO,
    /** The ClientHello (or the bytes carrying it) exceeds the configured maximum size. */
    OVERSIZED,
    /** The ClientHello's fields or extensions do not add up (lengths, counts, trailing bytes). */
    MALFORMED,
    /** The same extension type appears twice. */
    DUPLICATE_EXTENSION,
    /** Two server_name extensions, or two host names in one server_name list. */
    DUPLICATE_SNI,
    /** The server name is empty, too long, or not a DNS host name. */
    INVALID_SNI,
    /** A well-formed ClientHello without a server name. */
    NO_SNI
}
