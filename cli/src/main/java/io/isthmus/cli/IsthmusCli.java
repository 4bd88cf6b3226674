package io.isthmus.cli;

import java.util.List;
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

    /**
     * Subcommands contributed by the modules, by class name, so that each module owns its commands
     * and this entry point needs no change when one is added. Each is a picocli {@code @Command}.
     */
    static final List<String> MODULE_COMMANDS = List.of(
            "io.isthmus.trust.cli.CaCommand",
            "io.isthmus.controller.cli.ControllerCommand",
            "io.isthmus.controller.cli.CreateRemoteSecretCommand",
            "io.isthmus.controller.cli.ProxyStatusCommand",
            "io.isthmus.controller.cli.ProxyConfigCommand",
            "io.isthmus.controller.cli.AnalyzeCommand",
            "io.isthmus.sidecar.cli.ProxyCommand",
            "io.isthmus.sidecar.cli.IptablesCommand",
            "io.isthmus.gateway.cli.GatewayCommand",
            "io.isthmus.e2e.local.LocalCommand",
            "io.isthmus.e2e.demo.DemoAppCommand");

    /** The command line with every module's subcommands registered. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new IsthmusCli());
        for (String name : MODULE_COMMANDS) {
            Class<?> type;
            try {
                type = Class.forName(name);
            } catch (ClassNotFoundException absent) {
                continue; // that module does not offer this command in this build
            }
            cl.addSubcommand(new CommandLine(type));
        }
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
