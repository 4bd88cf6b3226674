package io.isthmus.sidecar.dns;

import io.isthmus.sidecar.SidecarConfig;
import io.isthmus.sidecar.cli.ProxyCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code isthmus proxy --dns-upstream IP[:PORT]|none}: bad values and combinations are usage errors naming the flag. */
class DnsUpstreamFlagTest {
    static final String[] BASE = {"--bootstrap", "/nonexistent/b.yaml", "--root-cert", "/nonexistent/r.pem"};

    record Run(int code, String err) {
    }

    static Run run(String... extra) {
        StringWriter err = new StringWriter();
        String[] args = new String[BASE.length + extra.length];
        System.arraycopy(BASE, 0, args, 0, BASE.length);
        System.arraycopy(extra, 0, args, BASE.length, extra.length);
        int code = new CommandLine(new ProxyCommand()).setErr(new PrintWriter(err)).execute(args);
        return new Run(code, err.toString());
    }

    @Test
    void badValuesAreUsageErrorsNamingTheFlag() {
        for (String bad : new String[] {"kube-dns.kube-system.svc", "10.96.0.10:0", "10.96.0.10:99999", "10.96.0.10:dns", "",
                "[fd00::a"}) {
            Run r = run("--dns-address", "127.0.0.1:53", "--dns-upstream", bad);
            assertThat(r.code()).as("'%s'", bad).isEqualTo(2);
            assertThat(r.err()).as("'%s'", bad).contains("--dns-upstream:");
        }
        Run alone = run("--dns-upstream", "10.96.0.10:53");
        assertThat(alone.code()).isEqualTo(2);
        assertThat(alone.err()).contains("--dns-upstream: needs --dns-address");
    }

    @Test
    void goodValuesPassTheFlagsAndTheConfigKeepsThem() {
        for (String good : new String[] {"10.96.0.10", "10.96.0.10:53", "[fd00::10]:5353"}) {
            Run r = run("--dns-address", "127.0.0.1:53", "--dns-upstream", good);
            assertThat(r.code()).as("'%s' is accepted; the missing bootstrap stops the start", good).isEqualTo(1);
            assertThat(r.err()).contains("cannot start").contains("/nonexistent/b.yaml").doesNotContain("--dns-upstream");
        }
        SidecarConfig c = SidecarConfig.builder(Path.of("b.yaml")).rootCert(Path.of("r.pem"))
                .dnsAddress(new InetSocketAddress("127.0.0.1", 53)).dnsUpstream(ResolvConf.parseServer("10.96.0.10")).build();
        assertThat(c.dnsUpstream()).contains(new InetSocketAddress("10.96.0.10", 53));
        assertThat(SidecarConfig.builder(Path.of("b.yaml")).rootCert(Path.of("r.pem")).build().dnsUpstream()).isEmpty();
        assertThatThrownBy(() -> SidecarConfig.builder(Path.of("b.yaml")).rootCert(Path.of("r.pem"))
                .dnsUpstream(new InetSocketAddress("10.96.0.10", 53)).build()).hasMessageContaining("dnsUpstream");
    }

    @Test
    void noneMeansNoUpstreamAndStillNeedsTheDnsProxy() {
        for (String none : new String[] {"none", "NONE", " None "}) {
            Run r = run("--dns-address", "127.0.0.1:53", "--dns-upstream", none);
            assertThat(r.code()).as("'%s' is accepted; the missing bootstrap stops the start", none).isEqualTo(1);
            assertThat(r.err()).contains("cannot start").doesNotContain("--dns-upstream");
        }
        Run alone = run("--dns-upstream", "none");
        assertThat(alone.code()).isEqualTo(2);
        assertThat(alone.err()).contains("--dns-upstream: needs --dns-address");
        Run typo = run("--dns-address", "127.0.0.1:53", "--dns-upstream", "nothing");
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.err()).contains("--dns-upstream:").contains("'none'");

        SidecarConfig c = SidecarConfig.builder(Path.of("b.yaml")).rootCert(Path.of("r.pem"))
                .dnsAddress(new InetSocketAddress("127.0.0.1", 53)).dnsNoUpstream(true).build();
        assertThat(c.dnsNoUpstream()).isTrue();
        assertThat(c.dnsUpstream()).isEmpty();
        assertThatThrownBy(() -> SidecarConfig.builder(Path.of("b.yaml")).rootCert(Path.of("r.pem")).dnsNoUpstream(true).build())
                .hasMessageContaining("dnsUpstream").hasMessageContaining("without dnsAddress");
        assertThatThrownBy(() -> SidecarConfig.builder(Path.of("b.yaml")).rootCert(Path.of("r.pem"))
                .dnsAddress(new InetSocketAddress("127.0.0.1", 53)).dnsNoUpstream(true)
                .dnsUpstream(new InetSocketAddress("10.96.0.10", 53)).build()).hasMessageContaining("both none and");
    }
}
