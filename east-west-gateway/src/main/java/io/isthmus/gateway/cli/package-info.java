/** The {@code isthmus gateway} command. */
package io.isthmus.gateway.cli;
