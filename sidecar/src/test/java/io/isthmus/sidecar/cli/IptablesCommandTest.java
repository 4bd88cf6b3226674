package io.isthmus.sidecar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code isthmus iptables}: what --dry-run prints and how wrong flags are refused (changes nothing). */
class IptablesCommandTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new IptablesCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void dryRunPrintsTheRestoreInputAndTheIpCommands() {
        Run r = run("--dry-run", "--mode", "TPROXY", "--proxy-gid", "", "--include-outbound-ip-ranges", "10.96.0.0/12,10.100.0.0/16",
                "--exclude-inbound-ports", "8081");
        assertThat(r.code).isZero();
        assertThat(r.out).contains("*mangle\n", "-A ISTHMUS_OUTPUT -d 10.96.0.0/12 -j MARK --set-xmark 0x539/0xffffffff\n",
                        "-A ISTHMUS_OUTPUT -d 10.100.0.0/16 -j MARK", "-A ISTHMUS_INBOUND -p tcp --dport 8081 -j RETURN\n",
                        "COMMIT\n", "ip -4 rule add fwmark 0x539 lookup 133\n", "ip -4 route add local 0.0.0.0/0 dev lo table 133\n")
                .doesNotContain("--gid-owner");
        Run clean = run("--dry-run", "--clean");
        assertThat(clean.out).contains("iptables -t mangle -D PREROUTING -p tcp -j ISTHMUS_PREROUTING\n",
                "iptables -t mangle -X ISTHMUS_DIVERT\n", "ip -4 rule del fwmark 0x539 lookup 133\n");
    }

    @Test
    void redirectModeDryRunPrintsTheNatRulesAndNoPolicyRouting() {
        Run r = run("--dry-run", "--mode", "redirect", "--proxy-gid", "1337", "--exclude-outbound-ip-ranges", "10.0.0.0/8");
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("*nat\n", "-A ISTHMUS_REDIRECT -p tcp -j REDIRECT --to-ports 15001\n",
                        "-A ISTHMUS_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006\n",
                        "-A ISTHMUS_OUTPUT -d 10.0.0.0/8 -j RETURN\n", "-A ISTHMUS_OUTPUT -j ISTHMUS_REDIRECT\n")
                .doesNotContain("ip -4", "mangle", "TPROXY");
        Run clean = run("--dry-run", "--clean", "--mode", "REDIRECT");
        assertThat(clean.out).as("--clean removes the capture of either mode")
                .contains("iptables -t nat -D OUTPUT -p tcp -j ISTHMUS_OUTPUT\n", "iptables -t nat -X ISTHMUS_REDIRECT\n",
                        "iptables -t mangle -X ISTHMUS_DIVERT\n");
        Run v6 = run("--dry-run", "--mode", "REDIRECT", "--ipv6");
        assertThat(v6.out).contains("# ip6tables-restore --noflush <<EOF\n", "-A ISTHMUS_OUTPUT -o lo -s ::6/128 -j RETURN\n",
                "ip -6 addr add ::6/128 dev lo\n");
        assertThat(clean.out).contains("ip6tables -t nat -X ISTHMUS_REDIRECT\n", "ip -6 addr del ::6/128 dev lo\n");
        Run bad = run("--dry-run", "--mode", "NAT");
        assertThat(bad.code).isEqualTo(2);
        assertThat(bad.err).contains("--mode: 'NAT' is not a capture mode (REDIRECT or TPROXY)");
    }

    @Test
    void redirectIsTheDefaultModeAsInIstio() {
        Run r = run("--dry-run");
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("*nat\n", "-A ISTHMUS_REDIRECT -p tcp -j REDIRECT --to-ports 15001\n")
                .doesNotContain("TPROXY", "ip -4 rule");
    }

    @Test
    void redirectDnsAddsTheDnsRulesInBothModesAndOnlyThen() {
        for (String mode : new String[] {"REDIRECT", "TPROXY"}) {
            Run r = run("--dry-run", "--mode", mode, "--proxy-gid", "1337", "--proxy-uid", "1001", "--redirect-dns");
            assertThat(r.code).as(r.err).isZero();
            assertThat(r.out).as(mode).contains("*nat\n", ":ISTHMUS_OUTPUT_DNS - [0:0]\n",
                    "-A OUTPUT -p udp --dport 53 -j ISTHMUS_OUTPUT_DNS\n",
                    "-A ISTHMUS_OUTPUT_DNS -m owner --uid-owner 1001 -j RETURN\n",
                    "-A ISTHMUS_OUTPUT_DNS -m owner --gid-owner 1337 -j RETURN\n",
                    "-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -j REDIRECT --to-ports 15053\n",
                    "*raw\n", "-A OUTPUT -p udp -j ISTHMUS_OUTPUT_DNS\n", "-A PREROUTING -p udp -j ISTHMUS_PREROUTING_DNS\n",
                    "-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -m owner --uid-owner 1001 -j CT --zone 1\n",
                    "-A ISTHMUS_OUTPUT_DNS -p udp --sport 15053 -m owner --uid-owner 1001 -j CT --zone 2\n",
                    "-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -m owner --gid-owner 1337 -j CT --zone 1\n",
                    "-A ISTHMUS_OUTPUT_DNS -p udp --sport 15053 -m owner --gid-owner 1337 -j CT --zone 2\n",
                    "-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -j CT --zone 2\n",
                    "-A ISTHMUS_PREROUTING_DNS -p udp --sport 53 -j CT --zone 1\n");
            Run without = run("--dry-run", "--mode", mode, "--proxy-gid", "1337", "--proxy-uid", "1001");
            assertThat(without.out).as(mode + " without --redirect-dns").doesNotContain("udp", "DNS", "*raw", "CT --zone");
        }
        Run port = run("--dry-run", "--redirect-dns", "--dns-capture-port", "5353", "--ipv6");
        assertThat(port.code).as(port.err).isZero();
        assertThat(port.out).contains("-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -j REDIRECT --to-ports 5353\n",
                "-A ISTHMUS_OUTPUT_DNS -p udp --sport 5353 -m owner --gid-owner 1337 -j CT --zone 2\n");
        assertThat(port.out.substring(port.out.indexOf("# ip6tables-restore"))).as("--ipv6: the same DNS rules for IPv6")
                .contains("-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -j REDIRECT --to-ports 5353\n", "*raw\n",
                        "-A ISTHMUS_PREROUTING_DNS -p udp --sport 53 -j CT --zone 1\n");
        Run clean = run("--dry-run", "--clean");
        assertThat(clean.out).as("--clean removes DNS capture too, with or without --redirect-dns").contains(
                "iptables -t nat -D OUTPUT -p udp --dport 53 -j ISTHMUS_OUTPUT_DNS\n", "iptables -t nat -X ISTHMUS_OUTPUT_DNS\n",
                "iptables -t raw -D OUTPUT -p udp -j ISTHMUS_OUTPUT_DNS\n", "iptables -t raw -D PREROUTING -p udp -j ISTHMUS_PREROUTING_DNS\n",
                "iptables -t raw -X ISTHMUS_OUTPUT_DNS\n", "iptables -t raw -X ISTHMUS_PREROUTING_DNS\n",
                "ip6tables -t raw -X ISTHMUS_PREROUTING_DNS\n");
    }

    @Test
    void badDnsFlagsAreUsageErrorsNamingTheFlag() {
        for (String bad : new String[] {"0", "65536"}) {
            Run r = run("--dry-run", "--redirect-dns", "--dns-capture-port", bad);
            assertThat(r.code).as(bad).isEqualTo(2);
            assertThat(r.err).as(bad).contains("--dns-capture-port: port must be 1..65535");
        }
        Run word = run("--dry-run", "--redirect-dns", "--dns-capture-port", "dns");
        assertThat(word.code).isEqualTo(2);
        assertThat(word.err).contains("--dns-capture-port");
        Run alone = run("--dry-run", "--dns-capture-port", "15053");
        assertThat(alone.code).isEqualTo(2);
        assertThat(alone.err).contains("--dns-capture-port: needs --redirect-dns");
        Run noOwner = run("--dry-run", "--redirect-dns", "--proxy-gid", "", "--include-outbound-ip-ranges", "10.96.0.0/12");
        assertThat(noOwner.code).isEqualTo(2);
        assertThat(noOwner.err).contains("--redirect-dns: capturing DNS needs a proxy gid or uid");
    }

    @Test
    void wrongFlagsAreUsageErrorsNamingTheFlag() {
        Run all = run("--dry-run", "--proxy-gid", "");
        assertThat(all.code).isEqualTo(2);
        assertThat(all.err).contains("needs a proxy gid or uid");
        Run gid = run("--dry-run", "--proxy-gid", "proxy");
        assertThat(gid.code).isEqualTo(2);
        assertThat(gid.err).contains("--proxy-gid: 'proxy' is not a numeric id");
        Run cidr = run("--dry-run", "--exclude-outbound-ip-ranges", "10.0.0.0/40");
        assertThat(cidr.code).isEqualTo(2);
        assertThat(cidr.err).contains("--exclude-outbound-ip-ranges: '10.0.0.0/40' has a bad prefix length");
    }
}
