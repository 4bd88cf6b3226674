package io.isthmus.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ProxyCommandsTest {

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void proxyStatusWithNoControllerNamesTheUrlTheReasonAndTheFlag() throws Exception {
        String url = "http://127.0.0.1:" + closedPort();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new CommandLine(new ProxyStatusCommand().printTo(new PrintStream(out, true, StandardCharsets.UTF_8))
                .errorsTo(new PrintStream(err, true, StandardCharsets.UTF_8))).execute("--controller", url);
        String e = err.toString(StandardCharsets.UTF_8);
        assertThat(code).isNotZero();
        assertThat(e).doesNotContain("null").contains(url).contains("connection refused").contains("--controller URL");
    }

    @Test
    void proxyConfigWithNoControllerNamesTheUrlTheReasonAndTheFlag() throws Exception {
        String url = "http://127.0.0.1:" + closedPort();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new CommandLine(new ProxyConfigCommand().errorsTo(new PrintStream(err, true, StandardCharsets.UTF_8)))
                .execute("clusters", "productpage-0", "--controller", url);
        String e = err.toString(StandardCharsets.UTF_8);
        assertThat(code).isNotZero();
        assertThat(e).doesNotContain("null").contains(url).contains("connection refused").contains("--controller URL");
    }

    @Test
    void anOutputFormatThatDoesNotExistIsAUsageErrorNamingTheChoices() {
        for (CommandLine command : List.of(new CommandLine(new ProxyStatusCommand()), new CommandLine(new ProxyConfigCommand()))) {
            StringWriter err = new StringWriter();
            command.setErr(new java.io.PrintWriter(err, true));
            String[] args = command.getCommand() instanceof ProxyStatusCommand
                    ? new String[] {"-o", "yaml"} : new String[] {"clusters", "productpage-0", "-o", "yaml"};
            assertThat(command.execute(args)).isEqualTo(2);
            assertThat(err.toString()).contains("--output", "yaml", "table, json");
        }
    }

    @Test
    void proxyStatusSizesColumnsToLongNodeIdsAndHasNoEmptyHeaderColumn() throws Exception {
        String longId = "sidecar~10.1.0.10~reviews-v1-0-with-a-very-long-generated-pod-name-suffix.default~default.svc.cluster.local";
        String body = """
                [ {"proxy":"%s","cluster":"east","network":"network-east","state":"SYNCED",
                   "types":{"cds":{"state":"SYNCED"},"eds":{"state":"SYNCED"},"lds":{"state":"SYNCED"},"rds":{"state":"SYNCED"},"sds":{"state":"SYNCED"}}},
                  {"proxy":"short-0","cluster":"west","network":"network-west","state":"STALE",
                   "types":{"cds":{"state":"STALE"}}} ]
                """.formatted(longId);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/debug/syncz", x -> {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        server.start();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int code = new CommandLine(new ProxyStatusCommand().printTo(new PrintStream(out, true, StandardCharsets.UTF_8)))
                    .execute("--controller", "http://127.0.0.1:" + server.getAddress().getPort());
            assertThat(code).isZero();
            List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
            assertThat(lines).hasSize(3);
            assertThat(lines.get(0)).endsWith("SDS");
            int cluster = lines.get(0).indexOf("CLUSTER");
            assertThat(cluster).isGreaterThan(longId.length());
            assertThat(lines.get(1).indexOf("east")).isEqualTo(cluster);
            assertThat(lines.get(2).indexOf("west")).isEqualTo(cluster);
            int sds = lines.get(0).indexOf("SDS");
            assertThat(lines.get(1).substring(sds)).isEqualTo("SYNCED");
            assertThat(lines.get(2).substring(sds)).isEqualTo("-");
        } finally {
            server.stop(0);
        }
    }
}
