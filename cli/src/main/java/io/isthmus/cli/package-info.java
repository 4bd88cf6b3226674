/**
 * The isthmus command line: one picocli entry point whose subcommands come from every module.
 */
package io.isthmus.cli;
