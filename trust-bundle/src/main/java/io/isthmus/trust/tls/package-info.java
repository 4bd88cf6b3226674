/**
 * JSSE adapters for TLS code (Vert.x, Netty, JDK and OpenSSL engines): a trust manager that checks peer chains
 * against a live {@link io.isthmus.trust.bundle.TrustBundle} and SPIFFE rules, and a key manager whose key and
 * chain can be swapped while connections are served.
 */
package io.isthmus.trust.tls;
