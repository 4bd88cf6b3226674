package io.isthmus.e2e.scenario;

import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshCluster;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.e2e.support.Targets;
import io.isthmus.trust.cli.CaCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Root rotation under load, done the way an operator does it with {@code isthmus ca} and the
 * controllers' {@code --ca-dir} re-read: a new root is made; both roots go into every cluster's
 * bundle (intermediates still under the old root) and reach every proxy as {@code ROOTCA}; each
 * cluster's intermediate is re-issued under the new root and every workload renews onto it; the
 * old root is dropped from the bundles. Meanwhile east's client calls reviews (in east) and
 * details (in west, through west's east-west gateway) and no request may fail. Driven through
 * {@link Federation}: locally the files go into each controller's {@code --ca-dir}; on kind into
 * each cluster's {@code cacerts} Secret (the kubelet refreshes the mounted volume within its
 * sync period, 10 s on up.sh's nodes), and the controllers' 15012 and 15014 are reached by
 * port-forward.
 */
@Order(11)
@ExtendWith(FederationExtension.class)
class RootRotationIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SERIAL = Pattern.compile("\"serial\"\\s*:\\s*\"([0-9a-f]+)\"");
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        Targets.require(federation, Capability.CA_FILES);
        fed = federation;
    }

    @Test
    void a_new_root_replaces_the_old_under_load_without_a_failed_request() throws IOException {
        ScenarioReport report = ScenarioReport.of("root-rotation");
        MeshPod client = fed.pod("east", "client");
        // Warm-up (outside the counts: a federation started for this class alone is still pushing).
        await("details answered from west").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> "west".equals(client.call(Mesh.DETAILS_URL).field("cluster")));
        Path pkiDir = fed.caRootDir();
        Path oldRootDir = pkiDir.resolve("rotation-old-root");
        Path newRootDir = pkiDir.resolve("rotation-new-root");
        Files.createDirectories(oldRootDir);
        Files.copy(pkiDir.resolve("root-cert.pem"), oldRootDir.resolve("root-cert.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pkiDir.resolve("root-key.pem"), oldRootDir.resolve("root-key.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String oldRoot = Files.readString(oldRootDir.resolve("root-cert.pem"));

        client.startLoad("root-reviews", Mesh.REVIEWS_URL, Duration.ofMillis(50));
        client.startLoad("root-details", Mesh.DETAILS_URL, Duration.ofMillis(50));
        long start = System.currentTimeMillis();

        // (1) A new root.
        ca("init-root", "--out", newRootDir.toString(), "--force");
        String newRoot = Files.readString(newRootDir.resolve("root-cert.pem"));

        // (2) Both roots in every bundle, intermediates still under the old root.
        for (MeshCluster c : fed.clusters()) {
            fed.issueIntermediate(c.name(), oldRootDir, List.of(newRootDir.resolve("root-cert.pem")));
        }
        long bundled = System.currentTimeMillis();
        awaitBundles(List.of(oldRoot, newRoot), List.of());
        long bothEverywhereMs = System.currentTimeMillis() - bundled;

        // (3) Intermediates under the new root (bundle still both); every workload renews onto it.
        for (MeshCluster c : fed.clusters()) {
            fed.issueIntermediate(c.name(), newRootDir, List.of(oldRootDir.resolve("root-cert.pem")));
        }
        long reissued = System.currentTimeMillis();
        X509Certificate newRootCert = certificate(newRoot);
        for (MeshCluster c : fed.clusters()) {
            if (!c.runsController()) {
                continue;
            }
            await("controller of " + c.name() + " serves a certificate under the new root").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> issuedUnder(c.controllerServingChain(), newRootCert));
        }
        Map<String, String> serials = new HashMap<>();
        List<MeshPod> pods = runningPods();
        for (MeshPod p : pods) {
            serials.put(p.name(), serial(p));
        }
        // Certificates renew at 50 % (± 5 %) of their lifetime counted from when they arrived, so
        // 60 % of a lifetime after the new intermediate every proxy (gateways too) holds one of it.
        Duration lifetime = fed.workloadCertTtl();
        await("every workload certificate renewed under the new root").atMost(lifetime.multipliedBy(2).plusSeconds(30))
                .pollDelay(lifetime.multipliedBy(6).dividedBy(10)).pollInterval(Duration.ofSeconds(2))
                .until(() -> pods.stream().allMatch(p -> !serial(p).equals(serials.get(p.name()))));
        long renewedMs = System.currentTimeMillis() - reissued;

        // (4) The old root leaves the bundles (and the PKI directory: pods started later trust the new root).
        for (MeshCluster c : fed.clusters()) {
            fed.issueIntermediate(c.name(), newRootDir, List.of());
        }
        Files.write(pkiDir.resolve("root-cert.pem"), Files.readAllBytes(newRootDir.resolve("root-cert.pem")));
        Files.write(pkiDir.resolve("root-key.pem"), Files.readAllBytes(newRootDir.resolve("root-key.pem")));
        long dropped = System.currentTimeMillis();
        awaitBundles(List.of(newRoot), List.of(oldRoot));
        long oldGoneMs = System.currentTimeMillis() - dropped;
        long settled = System.currentTimeMillis();
        // Keep the load on a while with only the new root trusted.
        await().atMost(Duration.ofSeconds(30)).until(() -> client.loadStats("root-details").since(settled).size() >= 60);
        LoadReport reviews = client.stopLoad("root-reviews");
        LoadReport details = client.stopLoad("root-details");
        long failed = reviews.failed() + details.failed();
        report.count(reviews.sent() + details.sent(), failed)
                .value("reviewsSent", reviews.sent()).value("detailsSent", details.sent())
                .value("bothRootsEverywhereMs", bothEverywhereMs).value("renewedUnderNewRootMs", renewedMs)
                .value("oldRootGoneEverywhereMs", oldGoneMs).value("totalMs", System.currentTimeMillis() - start)
                .outcome(failed == 0 ? "passed" : "failed").write(SharedFederation.reportDir());
        assertThat(reviews.failures()).as("failed calls to reviews during the root rotation").isEmpty();
        assertThat(details.failures()).as("failed calls to details (through west's gateway) during the root rotation").isEmpty();
        assertThat(client.call(Mesh.DETAILS_URL).status()).as("details from east after the rotation").isEqualTo(200);
    }

    /** Waits until every proxy connected to every controller, and every pod's sidecar, trusts exactly {@code trusted}. */
    private static void awaitBundles(List<String> trusted, List<String> gone) {
        List<String> present = trusted.stream().map(RootRotationIT::fingerprint).toList();
        List<String> absent = gone.stream().map(RootRotationIT::fingerprint).toList();
        await("every proxy's ROOTCA holds " + trusted.size() + " root(s)").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                .until(() -> {
                    // Running pods of every cluster: a primary's controller also serves its remote clusters' proxies.
                    List<MeshPod> pods = runningPods();
                    List<String> running = pods.stream().map(MeshPod::name).toList();
                    for (MeshCluster c : fed.clusters()) {
                        if (!c.runsController()) {
                            continue;
                        }
                        // The newest stream of each running pod and gateway (a killed pod's stream may linger).
                        Map<String, JsonNode> newest = new HashMap<>();
                        for (JsonNode proxy : JSON.readTree(c.controllerGet("/debug/syncz"))) {
                            String pod = proxy.path("pod").asString("");
                            if ("router".equals(proxy.path("type").asString("")) || running.contains(pod)) {
                                newest.merge(pod, proxy, (a, b) -> Instant.parse(a.path("connectedAt").asString())
                                        .isAfter(Instant.parse(b.path("connectedAt").asString())) ? a : b);
                            }
                        }
                        if (newest.isEmpty()) {
                            return false;
                        }
                        for (JsonNode proxy : newest.values()) {
                            JsonNode sds = proxy.path("types").path("sds");
                            if (sds.isMissingNode() || !sds.path("acked").asString("").equals(sds.path("sent").asString("?"))) {
                                return false;
                            }
                            String secrets = c.controllerGet("/debug/config_dump?type=secrets&proxy="
                                    + URLEncoder.encode(proxy.path("proxy").asString(""), StandardCharsets.UTF_8));
                            if (!present.stream().allMatch(secrets::contains) || absent.stream().anyMatch(secrets::contains)) {
                                return false;
                            }
                        }
                    }
                    for (MeshPod p : pods) {
                        if (roots(p) != trusted.size()) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    /** The running pods with a sidecar (an app outside the mesh holds no trust bundle). */
    private static List<MeshPod> runningPods() {
        List<MeshPod> out = new ArrayList<>();
        for (MeshCluster c : fed.clusters()) {
            c.pods().stream().filter(MeshPod::hasSidecar).filter(MeshPod::healthy).forEach(out::add);
        }
        return out;
    }

    private static String serial(MeshPod pod) {
        Matcher m = SERIAL.matcher(pod.call("http://127.0.0.1:15000/config_dump").body());
        return m.find() ? m.group(1) : "";
    }

    /** How many roots the pod's sidecar trusts now, or -1 when it still uses its bootstrap file. */
    private static int roots(MeshPod pod) {
        JsonNode certs = JSON.readTree(pod.call("http://127.0.0.1:15000/config_dump").body()).path("certificates");
        return certs.path("trust_bundle_source").asString("").startsWith("sds") ? certs.path("roots").size() : -1;
    }

    /** A line of the root's PEM that differs between roots (the last full line: signature bytes). */
    private static String fingerprint(String pem) {
        List<String> lines = pem.lines().filter(l -> !l.startsWith("-----") && !l.isBlank()).toList();
        return lines.get(lines.size() - 2);
    }

    /** Whether the chain's last certificate below a root was signed by {@code root}. */
    private static boolean issuedUnder(List<X509Certificate> chain, X509Certificate root) {
        for (X509Certificate c : chain) {
            if (c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                continue;
            }
            try {
                c.verify(root.getPublicKey());
                return true;
            } catch (GeneralSecurityException e) {
                // not this one
            }
        }
        return false;
    }

    private static X509Certificate certificate(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read a root certificate: " + e.getMessage(), e);
        }
    }

    /** Runs {@code isthmus ca ...} in-process, as an operator would on the command line. */
    private static void ca(String... args) {
        StringWriter err = new StringWriter();
        int rc = new CommandLine(new CaCommand()).setErr(new PrintWriter(err))
                .setOut(new PrintWriter(new StringWriter())).execute(args);
        assertThat(rc).as("isthmus ca " + String.join(" ", args) + ": " + err).isZero();
    }
}
