package io.isthmus.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.gateway.GatewayConfig;
import io.isthmus.gateway.listener.RelayMode;
import io.isthmus.sidecar.SidecarConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GatewayCommandTest {

    private static GatewayConfig parse(String... args) {
        GatewayCommand c = new GatewayCommand();
        new CommandLine(c).parseArgs(args);
        return c.config();
    }

    @Test
    void flagsBecomeTheConfig() {
        GatewayConfig config = parse("--bootstrap", "b.yaml", "--root-cert", "root.pem", "--token-file", "token",
                "--passthrough-address", "10.255.0.2", "--passthrough-port", "15443", "--controller-address", "10.2.0.1:15012",
                "--hello-timeout", "2s", "--relay", "copy", "--metrics-port", "0", "--splice-endpoint-buffer", "0");
        assertThat(config.proxy().mode()).isEqualTo(SidecarConfig.Mode.ROUTER);
        assertThat(config.passthrough().bindAddress()).isEqualTo("10.255.0.2");
        assertThat(config.passthrough().port()).isEqualTo(15443);
        assertThat(config.passthrough().helloTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.passthrough().relayMode()).isEqualTo(RelayMode.COPY);
        assertThat(config.passthrough().spliceEndpointBuffer()).isZero();
        assertThat(config.proxy().metricsPort()).isZero();
        assertThat(config.fixedRoutes()).containsEntry(GatewayConfig.CONTROLLER_SNI, new InetSocketAddress("10.2.0.1", 15012));
    }

    @Test
    void badValuesAreUsageErrorsNamingTheFlag() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new GatewayCommand()).setErr(new PrintWriter(err));
        int code = cl.execute("--bootstrap", "b.yaml", "--root-cert", "r.pem", "--hello-timeout", "soon");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--hello-timeout");
        err.getBuffer().setLength(0);
        assertThat(cl.execute("--bootstrap", "b.yaml", "--root-cert", "r.pem", "--splice-endpoint-buffer", "512")).isEqualTo(2);
        assertThat(err.toString()).contains("--splice-endpoint-buffer").contains("512");
        err.getBuffer().setLength(0);
        assertThat(cl.execute("--bootstrap", "b.yaml")).isEqualTo(2);
        assertThat(err.toString()).contains("--root-cert");
    }

    @Test
    void aMissingBootstrapFailsToStartWithTheReason() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new GatewayCommand()).setErr(new PrintWriter(err))
                .execute("--bootstrap", "/nonexistent/b.yaml", "--root-cert", "r.pem", "--passthrough-port", "0",
                        "--admin-port", "0", "--health-port", "0", "--metrics-port", "0");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("cannot start").contains("b.yaml");
    }
}
