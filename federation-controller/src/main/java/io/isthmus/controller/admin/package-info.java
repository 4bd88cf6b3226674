/**
 * The monitoring port (15014): Prometheus metrics, the debug endpoints ({@code /debug/registryz},
 * {@code /debug/syncz}, {@code /debug/clusterz}, {@code /debug/config_dump}) and the health
 * endpoints ({@code /healthz}, {@code /readyz}), all JSON.
 */
package io.isthmus.controller.admin;
