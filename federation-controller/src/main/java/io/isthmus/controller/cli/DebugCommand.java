package io.isthmus.controller.cli;

import java.io.PrintStream;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/**
 * A command that reads a controller's debug endpoints ({@code isthmus proxy-status}, {@code isthmus proxy-config}):
 * the controller's monitoring URL, the output format, and where it prints.
 *
 * @param <T> the command itself, for the fluent setters
 */
public abstract class DebugCommand<T extends DebugCommand<T>> implements Callable<Integer> {

    /** How the command prints what it read. */
    public enum Output { table, json }

    @Option(names = "--controller", defaultValue = "http://127.0.0.1:15014", description = "The controller's monitoring URL (default ${DEFAULT-VALUE}).")
    String controller;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    Output output;

    PrintStream out = System.out;
    PrintStream err = System.err;

    /** Prints to {@code stream} instead of standard output (tools, tests). */
    public T printTo(PrintStream stream) {
        out = Objects.requireNonNull(stream, "stream");
        return self();
    }

    /** Prints errors to {@code stream} instead of standard error (tools, tests). */
    public T errorsTo(PrintStream stream) {
        err = Objects.requireNonNull(stream, "stream");
        return self();
    }

    @SuppressWarnings("unchecked")
    private T self() {
        return (T) this;
    }
}
