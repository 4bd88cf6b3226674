/**
 * The proxy's certificates: the CA client (own key, CSR, {@code IstioCertificateService}), renewal
 * at half the lifetime with hot swap, the static cert-dir mode, and the trust bundle
 * ({@code --root-cert} until SDS {@code ROOTCA} arrives), published through
 * {@link io.isthmus.sidecar.cert.CertificateSource}.
 */
package io.isthmus.sidecar.cert;
