/**
 * The controller's {@code isthmus} subcommands: {@code controller} (run one), {@code proxy-status}
 * and {@code proxy-config} (read a running controller's debug endpoints), and the federation tools.
 */
package io.isthmus.controller.cli;
