/**
 * Moving the bytes of a passed connection both ways untouched: by {@code splice(2)} between epoll
 * sockets, else by copying with backpressure; half-close propagation, idle timeout and byte counts.
 */
package io.isthmus.gateway.relay;
