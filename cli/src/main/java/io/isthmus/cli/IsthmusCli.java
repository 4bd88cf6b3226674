package io.isthmus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code isthmus} command: the one entry point whose subcommands come from every module. */
@Command(
        name = "isthmus",
        mixinStandardHelpOptions = true,
        version = "isthmus 0.1.0-SNAPSHOT",
        description = "Isthmus joins Kubernetes clusters into one service mesh.",
        subcommands = {CommandLine.HelpCommand.class})
public final class IsthmusCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with every module's subcommands registered. */
    public static CommandLine commandLine() {
        return new CommandLine(new IsthmusCli());
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
