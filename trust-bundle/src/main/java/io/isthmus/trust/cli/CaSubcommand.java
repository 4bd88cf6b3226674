package io.isthmus.trust.cli;

import io.isthmus.trust.TrustException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/** What every {@code ca} subcommand shares: output streams and the mapping of failures to exit code 1. */
abstract class CaSubcommand implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILED = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    @Override
    public final Integer call() {
        try {
            return execute();
        } catch (TrustException e) {
            err().println("error: " + e.getMessage());
            err().flush();
            return FAILED;
        } catch (java.io.UncheckedIOException e) {
            err().println("error: " + e.getCause().getMessage());
            err().flush();
            return FAILED;
        } finally {
            out().flush();
        }
    }

    abstract int execute();
}
