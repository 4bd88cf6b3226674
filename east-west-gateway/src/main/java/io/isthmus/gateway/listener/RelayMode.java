package io.isthmus.gateway.listener;

/** How the gateway moves bytes between the two sockets of a passed connection. */
public enum RelayMode {
    /**
     * Copy first, then {@code splice(2)} each direction once it has carried 1 MiB, when both sockets
     * are epoll sockets; else {@link #COPY}. Short exchanges skip the pipes' set-up cost, long
     * streams stay out of the JVM.
     */
    AUTO,
    /** Linux {@code splice(2)} through a pipe from the first byte after the ClientHello. Needs Netty epoll. */
    SPLICE,
    /** Read into buffers and write them out, with backpressure by pausing reads. */
    COPY
}
