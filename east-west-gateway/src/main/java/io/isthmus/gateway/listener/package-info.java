/**
 * The passthrough listener on 15443: admission (connection limit, per-source rate), the ClientHello
 * stage under its deadline, the connect stage that tries endpoints in order, then the relay.
 */
package io.isthmus.gateway.listener;
