package io.isthmus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class IsthmusCliTest {

    @Command(name = "wrapped", description = {
        "Run a thing beside an application: configured by a bootstrap and the",
        "controller's xDS, e.g. over TLS. Second sentence.",
        "",
        "Example:",
        "  isthmus wrapped --flag \\",
        "      --other"})
    static final class Wrapped implements Runnable {
        @Override
        public void run() {
        }
    }

    @Command(name = "top", subcommands = Wrapped.class)
    static final class Top implements Runnable {
        @Override
        public void run() {
        }
    }

    private static String usage(CommandLine cl) {
        StringWriter w = new StringWriter();
        cl.usage(new PrintWriter(w));
        return w.toString();
    }

    @Test
    void handWrappedLinesBecomeParagraphsAndExamplesStay() {
        assertThat(IsthmusCli.paragraphs(new Wrapped().getClass().getAnnotation(Command.class).description())).containsExactly(
                "Run a thing beside an application: configured by a bootstrap and the controller's xDS, e.g. over TLS. Second sentence.",
                "", "Example:", "  isthmus wrapped --flag \\", "      --other");
    }

    @Test
    void theCommandListShowsEachCommandsWholeFirstSentence() {
        CommandLine cl = new CommandLine(new Top());
        IsthmusCli.reflow(cl);

        assertThat(usage(cl).replaceAll("\\s+", " "))
                .contains("wrapped Run a thing beside an application: configured by a bootstrap and the controller's xDS, e.g. over TLS.")
                .doesNotContain("Second sentence");
    }

    @Test
    void everyModuleCommandIsListedWithASentence() {
        String usage = usage(IsthmusCli.commandLine());

        for (String name : new String[] {"ca", "controller", "create-remote-secret", "proxy-status", "proxy-config", "analyze",
                "proxy", "iptables", "gateway", "local", "demo-app"}) {
            assertThat(usage).containsPattern("(?m)^  " + name + " ");
        }
        String list = usage.substring(usage.indexOf("Commands:")).replaceAll("\\n {10,}", " ");
        assertThat(list.lines().skip(1).filter(l -> !l.isBlank())).allSatisfy(l -> assertThat(l.strip()).endsWith("."));
    }
}
