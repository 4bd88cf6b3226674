/**
 * The one place where proxy failures become responses: Envoy's response flags, the HTTP status each
 * failure is answered with, and the exception that carries a rejected xDS resource.
 */
package io.isthmus.sidecar.errors;
