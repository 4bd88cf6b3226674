/**
 * PEM encoding and decoding of certificates, private keys and CSRs, and the safe writing of PEM files
 * (atomic replace, private keys mode 0600).
 */
package io.isthmus.trust.pem;
