/** The {@code isthmus proxy} command. */
package io.isthmus.sidecar.cli;
