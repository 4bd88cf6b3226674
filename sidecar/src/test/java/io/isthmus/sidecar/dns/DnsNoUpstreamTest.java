package io.isthmus.sidecar.dns;

import io.isthmus.sidecar.cli.ProxyCommand;
import io.isthmus.trust.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.isthmus.sidecar.dns.DnsProxyTest.A;
import static io.isthmus.sidecar.dns.DnsProxyTest.ask;
import static io.isthmus.sidecar.dns.DnsProxyTest.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code isthmus proxy --dns-upstream none} as a real process: its DNS proxy answers the mesh's names
 * and every other name NXDOMAIN at once (a real DNS client on loopback), warns of nothing at start,
 * and the proxy's own lookups use the hosts file only.
 */
class DnsNoUpstreamTest {
    @TempDir
    Path dir;

    @Test
    void meshNamesAreAnsweredAndEveryOtherNameIsNxdomainWithoutWarning() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        Path certs = Files.createDirectories(dir.resolve("certs"));
        pki.writeWorkloadDir("east", "default", "app", certs);
        Path bootstrap = dir.resolve("bootstrap.yaml");
        Files.writeString(bootstrap, """
                node:
                  id: sidecar~127.0.0.1~app-0.default~default.svc.cluster.local
                  metadata: {NAMESPACE: default, SERVICE_ACCOUNT: app}
                static_resources:
                  listeners:
                  - name: 127.0.0.2_%1$d
                    address: {socket_address: {address: 127.0.0.2, port_value: %1$d}}
                    traffic_direction: OUTBOUND
                    filter_chains:
                    - filters:
                      - name: envoy.filters.network.tcp_proxy
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                          stat_prefix: db
                          cluster: "outbound|%1$d||db.default.svc.cluster.local"
                  clusters:
                  - name: "outbound|%1$d||db.default.svc.cluster.local"
                    type: STATIC
                    connect_timeout: 1s
                    load_assignment:
                      cluster_name: "outbound|%1$d||db.default.svc.cluster.local"
                      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 1}}}}]}]
                """.formatted(freeTcpPort()));
        int dnsPort = freeUdpPort();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-XX:TieredStopAtLevel=1", "-cp", classpath, ProxyCommand.class.getName(),
                "--bootstrap", bootstrap.toString(), "--cert-dir", certs.toString(),
                "--admin-port", "0", "--health-port", "0", "--health-address", "127.0.0.1", "--metrics-port", "0",
                "--drain-time", "1s", "--dns-address", "127.0.0.1:" + dnsPort, "--dns-upstream", "none");
        Path log = dir.resolve("proxy.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).failFast("the proxy exited", () -> !p.isAlive())
                    .until(() -> Files.readString(log).contains("Proxy started"));
            InetSocketAddress dns = new InetSocketAddress("127.0.0.1", dnsPort);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                DnsProxyTest.Answer mesh = ask(dns, query(0x1001, "db.default.svc.cluster.local", A));
                assertThat(mesh.rcode()).isZero();
                assertThat(InetAddress.getByAddress(mesh.firstAddress()).getHostAddress()).as("a mesh name (learnt from LDS)")
                        .isEqualTo("127.0.0.2");
            });
            DnsProxyTest.Answer other = ask(dns, query(0x1002, "www.example.org", A));
            assertThat(other.id()).isEqualTo(0x1002);
            assertThat(other.rcode()).as("no upstream: a name outside the mesh is NXDOMAIN").isEqualTo(3);
            assertThat(ask(dns, query(0x1003, "db.default", A)).rcode()).as("the short forms of a mesh name").isZero();

            String text = Files.readString(log);
            assertThat(text).contains("upstream=none (--dns-upstream none: NXDOMAIN)")
                    .as("no upstream on purpose: nothing to warn of").doesNotContain("no upstream resolver")
                    .as("the proxy's own lookups: the hosts file only").contains("upstream=none (hosts file only)");
        } finally {
            p.destroy();
            p.waitFor();
            System.out.println(Files.readString(log));
        }
    }

    private static int freeTcpPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.2"))) {
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return s.getLocalPort();
        }
    }
}
