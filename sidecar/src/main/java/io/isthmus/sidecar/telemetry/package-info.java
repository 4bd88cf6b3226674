/**
 * What the data plane reports: Istio's standard Prometheus metrics with bounded labels, one JSON
 * access-log line per request or connection, and request identity ({@code x-request-id}, W3C
 * {@code traceparent}).
 */
package io.isthmus.sidecar.telemetry;
