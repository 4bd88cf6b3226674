package io.isthmus.e2e.scenario;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.PodHandle;
import io.isthmus.e2e.net.Ip;
import io.isthmus.e2e.net.NetException;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.Probe;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * mTLS end to end: a pod port refuses plaintext (from another pod and from the node), the west
 * server sees east's client identity through the gateway, and a client whose certificate comes
 * from a foreign root is refused.
 */
@Order(3)
@ExtendWith(FederationExtension.class)
class MtlsIT {
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void plaintext_to_a_pod_port_is_refused() {
        ScenarioReport report = ScenarioReport.of("mtls-plaintext");
        MeshPod client = fed.pod("east", "client");
        MeshPod reviews = fed.pod("east", "reviews");
        PodHandle.CallResult r = client.call("http://" + reviews.address() + ":9080/");
        report.count(1, r.status() == 200 ? 1 : 0).value("status", r.status()).value("error", r.error());
        assertThat(r.status()).as("plaintext GET to %s:9080 answered: %s", reviews.address(), r.body()).isNotEqualTo(200);
        report.outcome("passed").write(SharedFederation.reportDir());
    }

    @Test
    void the_west_server_sees_the_east_client_identity_through_the_gateway() {
        ScenarioReport report = ScenarioReport.of("mtls-identity");
        Probe.Timed t = Probe.until(fed.pod("east", "client"), Mesh.DETAILS_URL, r -> "west".equals(r.field("cluster")),
                Duration.ofSeconds(90), report, "details answers from west");
        assertThat(t.last().field("caller")).isEqualTo(Mesh.CLIENT_ID);
        report.value("caller", t.last().field("caller")).outcome("passed").write(SharedFederation.reportDir());
    }

    @Test
    void a_certificate_from_a_foreign_root_is_refused() throws IOException {
        ScenarioReport report = ScenarioReport.of("mtls-foreign-root");
        Path dir = Files.createDirectories(SharedFederation.workDir().resolve("foreign"));
        String spiffe = "URI:" + Mesh.CLIENT_ID;
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                "-subj", "/O=Elsewhere/CN=Foreign Root", "-keyout", dir.resolve("root-key.pem").toString(),
                "-out", dir.resolve("root.pem").toString(), "-addext", "basicConstraints=critical,CA:TRUE");
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/O=Elsewhere",
                "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("leaf.csr").toString());
        Files.writeString(dir.resolve("ext"), "subjectAltName=" + spiffe + "\nextendedKeyUsage=clientAuth,serverAuth\n");
        openssl("x509", "-req", "-in", dir.resolve("leaf.csr").toString(), "-CA", dir.resolve("root.pem").toString(),
                "-CAkey", dir.resolve("root-key.pem").toString(), "-set_serial", "7", "-days", "1",
                "-extfile", dir.resolve("ext").toString(), "-out", dir.resolve("leaf.pem").toString());
        // From inside east's client pod (on kind too): a handshake to reviews' inbound port presenting it.
        MeshPod reviews = fed.pod("east", "reviews");
        // No SNI: the inbound listener chooses its chain by port, and the JDK client cannot send
        // Istio's outbound_.9080_._.host name (it has '_').
        MeshPod.TlsProbeResult probe = fed.pod("east", "client").tlsProbe(reviews.address() + ":9080", "",
                Files.readString(dir.resolve("leaf.pem")), Files.readString(dir.resolve("key.pem")));
        boolean answered = probe.answered();
        String out = probe.statusLine() + " " + probe.error();
        report.count(1, answered ? 1 : 0).value("refusal", probe.error().isEmpty() ? "connection closed without an answer" : probe.error())
                .outcome(answered ? "failed" : "passed").write(SharedFederation.reportDir());
        assertThat(probe.connected()).as("the probe reached reviews' inbound port: %s", out).isTrue();
        assertThat(answered).as("a foreign-root client got an answer:\n%s", out).isFalse();
        assertThat(probe.error()).as("refused by the server's TLS, not by the client").isNotEmpty();
    }

    private static void openssl(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        try {
            Ip.run(cmd);
        } catch (NetException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
