/**
 * The proxy's operator endpoints: admin on 127.0.0.1:15000 ({@code /config_dump}, {@code /clusters},
 * {@code /logging}), health on :15021 ({@code /healthz/ready}) and Prometheus on :15090.
 */
package io.isthmus.sidecar.admin;
