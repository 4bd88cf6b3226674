/**
 * The east-west gateway: SNI passthrough of mTLS between cluster networks without terminating TLS.
 */
package io.isthmus.gateway;
