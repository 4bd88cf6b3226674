package io.isthmus.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.UsageMessageSpec;

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
        reflow(cl);
        return cl;
    }

    /**
     * Makes the help of a command and its subcommands read well at any width: description lines
     * wrapped by hand are joined into paragraphs (examples, indented, stay as they are) so that
     * picocli wraps them, and the command list shows each command's whole first sentence instead
     * of its first hand-wrapped line.
     */
    static void reflow(CommandLine cl) {
        UsageMessageSpec usage = cl.getCommandSpec().usageMessage();
        usage.description(paragraphs(usage.description()));
        cl.setUsageHelpAutoWidth(true);
        if (!cl.getSubcommands().isEmpty() && !cl.getSubcommands().containsKey("help")) {
            cl.addSubcommand(new CommandLine.HelpCommand()); // `isthmus local help up`, as `isthmus help local`
        }
        cl.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_COMMAND_LIST, IsthmusCli::commandList);
        for (CommandLine sub : new java.util.LinkedHashSet<>(cl.getSubcommands().values())) {
            reflow(sub);
        }
    }

    /** Joins hand-wrapped lines: a line continues the previous one unless either is blank, indented, or ends a heading. */
    static String[] paragraphs(String[] lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            int last = out.size() - 1;
            boolean continues = last >= 0 && !line.isBlank() && !Character.isWhitespace(line.charAt(0))
                    && !out.get(last).isBlank() && !Character.isWhitespace(out.get(last).charAt(0)) && !out.get(last).endsWith(":");
            if (continues) {
                out.set(last, out.get(last).stripTrailing() + " " + line.strip());
            } else {
                out.add(line);
            }
        }
        return out.toArray(String[]::new);
    }

    /** The first sentence of a header or description: its first paragraph up to the first full stop that ends a sentence. */
    static String firstSentence(String[] description) {
        String[] p = paragraphs(description);
        String first = p.length == 0 ? "" : p[0].strip();
        Matcher m = SENTENCE_END.matcher(first);
        return m.find() ? first.substring(0, m.start() + 1) : first;
    }

    private static final Pattern SENTENCE_END = Pattern.compile("(?<!\\be\\.g|\\bi\\.e|\\betc)\\.\\s");

    private static String commandList(Help help) {
        Map<String, Help> subs = help.subcommands();
        if (subs.isEmpty()) {
            return "";
        }
        int names = subs.keySet().stream().mapToInt(String::length).max().orElse(0) + 4;
        int width = help.commandSpec().usageMessage().width();
        TextTable table = TextTable.forColumns(help.colorScheme(), new Column(names, 2, Column.Overflow.SPAN),
                new Column(Math.max(30, width - names), 1, Column.Overflow.WRAP));
        subs.forEach((name, sub) -> {
            UsageMessageSpec u = sub.commandSpec().usageMessage();
            table.addRowValues(name, firstSentence(u.header().length > 0 ? u.header() : u.description()));
        });
        return table.toString();
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
