/**
 * The gateway's metrics: Istio's {@code istio_tcp_*} per destination service, active connections,
 * refusals by reason, outlier ejections; exported in Prometheus format.
 */
package io.isthmus.gateway.telemetry;
