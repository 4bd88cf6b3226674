/**
 * The certificate-signing service (Istio's {@code IstioCertificateService} wire shape): authenticates
 * callers by bearer token (bootstrap token file or Kubernetes TokenReview) or by their client
 * certificate, and signs workload CSRs for the caller's own identity with the cluster intermediate.
 */
package io.isthmus.controller.ca;
