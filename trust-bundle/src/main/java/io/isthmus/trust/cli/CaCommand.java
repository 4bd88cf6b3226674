package io.isthmus.trust.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code isthmus ca} command: the mesh PKI from the command line. */
@Command(
        name = "ca",
        mixinStandardHelpOptions = true,
        version = "isthmus ca 0.1.0-SNAPSHOT",
        description = {
            "Manage the mesh PKI: one root of trust for the whole federation.",
            "One intermediate CA per cluster (Istio's cacerts layout) signs the SPIFFE",
            "workload certificates of that cluster; every proxy trusts the root.",
            "",
            "Typical use:",
            "  isthmus ca init-root --out pki/root",
            "  isthmus ca issue-intermediate --root-dir pki/root --cluster east",
            "  isthmus ca issue-workload --ca-dir pki/root/east --out pki/sleep \\",
            "      --spiffe-id spiffe://cluster.local/ns/default/sa/sleep",
            "  isthmus ca inspect pki/sleep/cert-chain.pem",
            "  isthmus ca verify --bundle pki/root/root-cert.pem pki/sleep/cert-chain.pem",
            "",
            "Exit codes: 0 success, 1 refused or failed (the reason is printed),",
            "2 wrong usage. More: docs/pki.md."},
        subcommands = {
            InitRootCommand.class,
            IssueIntermediateCommand.class,
            IssueWorkloadCommand.class,
            InspectCommand.class,
            VerifyCommand.class,
            CommandLine.HelpCommand.class})
public final class CaCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs {@code ca} on its own: {@code java -cp ... io.isthmus.trust.cli.CaCommand init-root ...}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new CaCommand()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
