package io.isthmus.gateway.listener;

/** How the gateway moves bytes between the two sockets of a passed connection. */
public enum RelayMode {
    /** {@link #SPLICE} when both sockets are epoll sockets, else {@link #COPY}. */
    AUTO,
    /** Linux {@code splice(2)} through a pipe: the bytes never enter the JVM. Needs Netty epoll. */
    SPLICE,
    /** Read into buffers and write them out, with backpressure by pausing reads. */
    COPY
}
