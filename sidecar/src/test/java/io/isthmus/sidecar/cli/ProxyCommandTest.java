package io.isthmus.sidecar.cli;

import io.isthmus.sidecar.SidecarConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyCommandTest {

    static SidecarConfig parse(String... args) {
        ProxyCommand cmd = new ProxyCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.config();
    }

    @Test
    void flagsBecomeTheConfig() {
        SidecarConfig c = parse("--bootstrap", "b.yaml", "--root-cert", "root.pem", "--token-file", "tok",
                "--ca-address", "10.1.0.1:15012", "--dns-address", "127.0.0.1:53", "--mode", "router",
                "--admin-port", "25000", "--cert-ttl", "90s");
        assertThat(c.bootstrap()).isEqualTo(Path.of("b.yaml"));
        assertThat(c.rootCert()).contains(Path.of("root.pem"));
        assertThat(c.tokenFile()).contains(Path.of("tok"));
        assertThat(c.caAddress()).contains("10.1.0.1:15012");
        assertThat(c.dnsAddress()).contains(new InetSocketAddress("127.0.0.1", 53));
        assertThat(c.mode()).isEqualTo(SidecarConfig.Mode.ROUTER);
        assertThat(c.adminPort()).isEqualTo(25000);
        assertThat(c.healthPort()).isEqualTo(15021);
        assertThat(c.metricsPort()).isEqualTo(15090);
        assertThat(c.adminAddress()).isEqualTo("127.0.0.1");
        assertThat(c.certTtl()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void badFlagsAreUsageErrorsNamingTheFlag() {
        assertThat(run("--bootstrap", "b.yaml", "--root-cert", "r", "--mode", "gateway")).contains("--mode");
        assertThat(run("--bootstrap", "b.yaml", "--root-cert", "r", "--dns-address", "nope")).contains("--dns-address");
        assertThat(run("--bootstrap", "b.yaml", "--root-cert", "r", "--cert-ttl", "soon")).contains("--cert-ttl");
        assertThat(run("--bootstrap", "b.yaml")).contains("--root-cert");
    }

    @Test
    void aMissingBootstrapFailsToStartWithTheReason() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ProxyCommand()).setErr(new PrintWriter(err));
        int code = cl.execute("--bootstrap", "/nonexistent/b.yaml", "--root-cert", "/nonexistent/r.pem");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("/nonexistent/b.yaml");
    }

    static String run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ProxyCommand()).setErr(new PrintWriter(err));
        assertThat(cl.execute(args)).isEqualTo(2);
        return err.toString();
    }
}
