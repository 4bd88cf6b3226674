/** The {@code isthmus ca} commands: create the root and cluster intermediates, issue, inspect and verify certificates. */
package io.isthmus.trust.cli;
