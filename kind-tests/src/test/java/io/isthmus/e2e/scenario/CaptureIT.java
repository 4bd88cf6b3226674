package io.isthmus.e2e.scenario;

import com.sun.net.httpserver.HttpServer;
import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.local.LocalFederation;
import io.isthmus.e2e.local.PodHandle;
import io.isthmus.e2e.net.NetworkSandbox;
import io.isthmus.e2e.support.Failover;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.Metrics;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.e2e.support.Targets;
import io.isthmus.e2e.support.UsesTopology;
import io.isthmus.mesh.MeshLabels;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Transparent capture in the scene: east's client pod runs in TPROXY capture and a second client,
 * {@code client-redirect}, in REDIRECT capture ({@code two-clusters-capture.yaml}: {@code isthmus
 * iptables --mode <mode>} in their namespaces, their sidecars in their own group with
 * {@code INTERCEPTION_MODE: <mode>}; their apps resolve service names through the sidecar's DNS
 * proxy, which answers with the ClusterIPs the controller sent as virtual-host domains (no hosts
 * file), and connect to them as in a real cluster). The TPROXY client's nameserver is its sidecar
 * ({@code 127.0.0.1:53}); the REDIRECT client is a Kubernetes pod with DNS capture: its
 * {@code resolv.conf} names the cluster DNS {@code 10.96.0.10}, which nothing serves, and
 * {@code isthmus iptables --redirect-dns} sends its queries to the sidecar's DNS proxy on
 * {@code 127.0.0.1:15053} (no upstream: other names NXDOMAIN), so details, which has no Service in
 * east, resolves there to the VIP only the mesh knows; its sidecar runs as user 1337. Their calls by
 * hostname and to reviews' ClusterIP
 * with the IP itself as Host are captured by the sidecar and routed to reviews (counted by each
 * client's sidecar as {@code reporter="source"}); two opaque TCP services sharing port 7070 (orders-db in
 * east, users-db only in west) are each reached by name and at their ClusterIP (a listener per VIP); under load by hostname and to the ClusterIP, every east reviews pod is
 * killed and the loads move to west through west's gateway and come back, with no failed request.
 * A plain HTTP server of the driver on east's node address, outside the mesh, is reached through
 * {@code PassthroughCluster} under ALLOW_ANY and refused ({@code BlackHoleCluster}) under
 * REGISTRY_ONLY, except for a host a ServiceEntry with {@code resolution: NONE} declares (an
 * ORIGINAL_DST cluster).
 */
@Order(115)
@UsesTopology(SharedFederation.CAPTURE)
@ExtendWith(FederationExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CaptureIT {
    private static final Duration INTERVAL = Duration.ofMillis(20);
    private static final Duration VIP_INTERVAL = Duration.ofMillis(40);
    private static final String PLAIN_HOST = "plain.node.test";
    /** The cluster DNS in client-redirect's resolv.conf (the local runner's {@code CapturedPod.CLUSTER_DNS}): nothing serves it. */
    private static final String CLUSTER_DNS = "10.96.0.10";

    private static Federation fed;
    private static MeshPod client;
    private static MeshPod redirected;
    private static String reviewsVip;
    private static String detailsVip;
    private static HttpServer plain;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
        Targets.require(fed, Capability.TRANSPARENT_CAPTURE);
        client = fed.pod("east", "client");
        redirected = fed.pod("east", "client-redirect");
        reviewsVip = fed.cluster("east").client().services().inNamespace("default").withName("reviews").get().getSpec().getClusterIP();
        // details has no Service in east: east's proxies get west's ClusterIP (Istio's default address)
        detailsVip = fed.cluster("west").client().services().inNamespace("default").withName("details").get().getSpec().getClusterIP();
    }

    @AfterAll
    static void down() {
        if (plain != null) {
            plain.stop(0);
        }
    }

    @Test
    @Order(1)
    void captured_pods_resolve_service_names_to_cluster_ips_through_the_sidecars_dns_proxy() throws Exception {
        Targets.local(fed, Capability.TRANSPARENT_CAPTURE);
        ScenarioReport report = ScenarioReport.of("capture-dns");
        int lookups = 0;
        for (MeshPod pod : List.of(client, redirected)) {
            String ns = io.isthmus.e2e.net.NetworkSandbox.PREFIX + "east-" + pod.name();
            String hosts = java.nio.file.Files.readString(java.nio.file.Path.of("/etc/netns", ns, "hosts"));
            assertThat(hosts).as("%s's hosts file names no service: names go to the DNS proxy", pod.name()).doesNotContain("reviews")
                    .doesNotContain("details");
            await(pod.name() + "'s DNS proxy answers reviews with its ClusterIP").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500)).until(() -> resolve(ns, MeshLabels.serviceHostname("reviews", "default")).equals(reviewsVip));
            for (String name : List.of("reviews", "reviews.default", "reviews.default.svc")) {
                assertThat(resolve(ns, name)).as("%s resolves %s", pod.name(), name).isEqualTo(reviewsVip);
            }
            assertThat(resolve(ns, "details.default.svc.cluster.local")).as("details (only in west) from %s", pod.name())
                    .isEqualTo(detailsVip);
            lookups += 5;
        }
        report.count(lookups, 0).value("reviewsVip", reviewsVip).value("detailsVip", detailsVip).outcome("passed")
                .write(SharedFederation.reportDir());
    }

    @Test
    @Order(2)
    void the_redirect_client_s_queries_to_a_cluster_dns_nobody_serves_are_captured_and_answered_by_its_sidecar() throws Exception {
        Targets.local(fed, Capability.TRANSPARENT_CAPTURE);
        ScenarioReport report = ScenarioReport.of("capture-dns-redirect");
        String ns = NetworkSandbox.PREFIX + "east-" + redirected.name();
        assertThat(Files.readString(Path.of("/etc/netns", ns, "resolv.conf"))).as("the kubelet's ClusterFirst resolv.conf")
                .contains("nameserver " + CLUSTER_DNS, "search default.svc.cluster.local svc.cluster.local cluster.local", "ndots:5")
                .doesNotContain("127.0.0.1");
        assertThat(inPod(ns, "ip", "-o", "addr", "show")).as("no interface of the pod has the cluster DNS's address")
                .doesNotContain(" " + CLUSTER_DNS + "/");
        assertThat(inPod(ns, "ss", "-Hlun", "sport = :53")).as("nothing in the pod serves port 53").isBlank();
        String owner = inPod(ns, "ss", "-Hlunp", "sport = :15053");
        Matcher pid = Pattern.compile("pid=(\\d+)").matcher(owner);
        assertThat(pid.find()).as("a process listens on 127.0.0.1:15053: %s", owner).isTrue();
        String status = Files.readString(Path.of("/proc", pid.group(1), "status"));
        assertThat(status).as("the DNS proxy's process is the sidecar, user and group 1337, no capability")
                .containsPattern("(?m)^Uid:\\s+1337\\s+1337\\s+1337\\s+1337$").containsPattern("(?m)^Gid:\\s+1337\\s")
                .containsPattern("(?m)^CapEff:\\s+0+$");

        long before = dnsRedirected(ns);
        // the app's resolver (glibc with the pod's resolv.conf, as the app's JVM): details has no Service in east
        assertThat(resolve(ns, "details.default.svc.cluster.local")).as("details through the captured query").isEqualTo(detailsVip);
        assertThat(resolve(ns, "details")).as("details by its short name (the search list)").isEqualTo(detailsVip);
        // the query itself, sent to the cluster DNS on port 53
        DnsReply details = query(ns, "details.default.svc.cluster.local");
        assertThat(details.rcode()).as("answer to the query sent to %s:53: %s", CLUSTER_DNS, details).isZero();
        assertThat(details.addresses()).as("the VIP the controller sent for details").containsExactly(detailsVip);
        DnsReply outside = query(ns, "nowhere.example.test");
        assertThat(outside.rcode()).as("a name outside the mesh, no upstream: NXDOMAIN, not a timeout: %s", outside).isEqualTo(3);
        long redirectedQueries = dnsRedirected(ns) - before;
        assertThat(redirectedQueries).as("the nat table's DNS rule redirected the queries to 15053").isGreaterThanOrEqualTo(4);

        // the app calls details by name: resolved through the capture, connected to the VIP, captured, routed to west
        String id = MeshLabels.spiffeId("cluster.local", "default", "client-redirect");
        await("client-redirect's app reaches details by name").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> redirected.call(Mesh.DETAILS_URL).status() == 200);
        PodHandle.CallResult call = redirected.call(Mesh.DETAILS_URL);
        assertThat(call.field("cluster")).as("details runs only in west: %s", call).isEqualTo("west");
        assertThat(call.field("caller")).as("through client-redirect's sidecar").isEqualTo(id);
        report.count(5, 0).value("clusterDns", CLUSTER_DNS).value("detailsVip", detailsVip).value("redirectedQueries", redirectedQueries)
                .outcome("passed").write(SharedFederation.reportDir());
    }

    /** Runs a command in network namespace {@code ns}; its output (stdout and stderr), throwing when it fails. */
    private static String inPod(String ns, String... cmd) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        all.addAll(List.of(cmd));
        Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s: %s", all, out).isZero();
        return out.strip();
    }

    /** The packets the nat table's rules to the DNS capture port counted in {@code ns} (each a new query flow). */
    private static long dnsRedirected(String ns) throws IOException, InterruptedException {
        long total = 0;
        Matcher m = Pattern.compile("^\\[(\\d+):\\d+\\] .*--to-ports 15053\\b.*$", Pattern.MULTILINE)
                .matcher(inPod(ns, "iptables-save", "-c", "-t", "nat"));
        while (m.find()) {
            total += Long.parseLong(m.group(1));
        }
        return total;
    }

    /** A DNS reply: its response code (-1: none arrived) and its A records. */
    record DnsReply(int rcode, List<String> addresses) {
    }

    /**
     * Sends one A query for {@code name} over UDP from inside {@code ns} to {@link #CLUSTER_DNS}:53
     * (bash's {@code /dev/udp}, as root: an app's query) and reads the reply; both encoded and decoded
     * by Netty's DNS codec.
     */
    private static DnsReply query(String ns, String name) throws IOException, InterruptedException {
        InetSocketAddress server = new InetSocketAddress(CLUSTER_DNS, 53);
        InetSocketAddress client = new InetSocketAddress("127.0.0.1", 40000);
        EmbeddedChannel encoder = new EmbeddedChannel(new DatagramDnsQueryEncoder());
        encoder.writeOutbound(new DatagramDnsQuery(client, server, 0x2a17).setRecursionDesired(true)
                .setRecord(DnsSection.QUESTION, new DefaultDnsQuestion(name, DnsRecordType.A)));
        DatagramPacket packet = encoder.readOutbound();
        StringBuilder escaped = new StringBuilder();
        for (byte b : ByteBufUtil.getBytes(packet.content())) {
            escaped.append(String.format("\\x%02x", b & 0xff));
        }
        packet.release();
        String hex = inPod(ns, "bash", "-c", "exec 3<>/dev/udp/" + CLUSTER_DNS + "/53 && printf \"$1\" >&3"
                + " && { timeout 3 dd bs=4096 count=1 status=none <&3 || true; } | od -An -v -tx1", "query", escaped.toString());
        byte[] r = hex.isBlank() ? new byte[0] : ByteBufUtil.decodeHexDump(hex.replaceAll("\\s+", ""));
        if (r.length < 12) {
            return new DnsReply(-1, List.of());
        }
        EmbeddedChannel decoder = new EmbeddedChannel(new DatagramDnsResponseDecoder());
        decoder.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(r), client, server));
        DnsResponse response = decoder.readInbound();
        try {
            List<String> addresses = new ArrayList<>();
            for (int i = 0; i < response.count(DnsSection.ANSWER); i++) {
                DnsRecord record = response.recordAt(DnsSection.ANSWER, i);
                if (record.type() == DnsRecordType.A && record instanceof DnsRawRecord raw && raw.content().readableBytes() == 4) {
                    addresses.add(InetAddress.getByAddress(ByteBufUtil.getBytes(raw.content())).getHostAddress());
                }
            }
            return new DnsReply(response.code().intValue(), addresses);
        } finally {
            response.release();
        }
    }

    /** The first IPv4 address {@code getent ahostsv4} finds for {@code name} in network namespace {@code ns}; empty if none. */
    private static String resolve(String ns, String name) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "getent", "ahostsv4", name).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out.isEmpty() ? "" : out.split("\\s+")[0];
    }

    @Test
    @Order(3)
    void calls_by_hostname_and_to_the_cluster_ip_are_captured_and_routed_by_host() {
        ScenarioReport report = ScenarioReport.of("capture-calls");
        int calls = 0;
        int failed = 0;
        for (MeshPod pod : List.of(client, redirected)) {
            String id = MeshLabels.spiffeId("cluster.local", "default", pod == redirected ? "client-redirect" : "client");
            await(pod.name() + " reaches reviews in east by hostname").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500)).until(() -> "east".equals(pod.call(Mesh.REVIEWS_URL).field("cluster")));
            String dump = pod.call("http://127.0.0.1:15000/config_dump").body();
            assertThat(dump).as("%s's sidecar holds Istio's capture listeners", pod.name()).contains("virtualOutbound").contains("virtualInbound");
            double before = Metrics.sum(pod.call("http://127.0.0.1:15090/stats/prometheus").body(), "istio_requests_total",
                    "reporter=\"source\"", "destination_service=\"reviews.default.svc.cluster.local\"", "response_code=\"200\"");
            for (int i = 0; i < 20; i++) {
                PodHandle.CallResult byName = pod.call(Mesh.REVIEWS_URL);
                // the ClusterIP itself as Host: the controller put reviews' VIP into its virtual host's domains
                PodHandle.CallResult byVip = pod.call("http://" + reviewsVip + ":9080/reviews");
                PodHandle.CallResult details = pod.call(Mesh.DETAILS_URL);
                calls += 3;
                failed += (byName.status() == 200 ? 0 : 1) + (byVip.status() == 200 ? 0 : 1) + (details.status() == 200 ? 0 : 1);
                assertThat(byName.field("cluster")).as("%s by hostname: %s", pod.name(), byName).isEqualTo("east");
                assertThat(byName.field("caller")).as("the server sees %s's identity: the call went through its sidecar", pod.name())
                        .isEqualTo(id);
                assertThat(byVip.field("cluster")).as("%s to the ClusterIP %s with the IP as Host: %s", pod.name(), reviewsVip, byVip)
                        .isEqualTo("east");
                assertThat(byVip.field("caller")).as("the ClusterIP call went through %s's sidecar to reviews", pod.name()).isEqualTo(id);
                assertThat(details.field("cluster")).as("details runs only in west: through west's gateway: %s", details)
                        .isEqualTo("west");
            }
            double captured = Metrics.sum(pod.call("http://127.0.0.1:15090/stats/prometheus").body(), "istio_requests_total",
                    "reporter=\"source\"", "destination_service=\"reviews.default.svc.cluster.local\"", "response_code=\"200\"") - before;
            report.value("sourceReportedReviewsCalls-" + pod.name(), captured);
            assertThat(captured).as("%s's sidecar counted the captured calls (reporter=source)", pod.name()).isGreaterThanOrEqualTo(40);
        }
        report.count(calls, failed).value("reviewsVip", reviewsVip).outcome(failed == 0 ? "passed" : "failed")
                .write(SharedFederation.reportDir());
        assertThat(failed).isZero();
    }

    @Test
    @Order(4)
    void tcp_services_sharing_a_port_are_each_reached_at_their_cluster_ip() {
        ScenarioReport report = ScenarioReport.of("capture-tcp");
        String ordersVip = fed.cluster("east").client().services().inNamespace("default").withName("orders-db").get()
                .getSpec().getClusterIP();
        // users-db has no Service in east: east's proxies get west's ClusterIP, as for details
        String usersVip = fed.cluster("west").client().services().inNamespace("default").withName("users-db").get()
                .getSpec().getClusterIP();
        String ordersUrl = "http://" + MeshLabels.serviceHostname("orders-db", "default") + ":7070/orders";
        String usersUrl = "http://" + MeshLabels.serviceHostname("users-db", "default") + ":7070/users";
        int calls = 0;
        int failed = 0;
        for (MeshPod pod : List.of(client, redirected)) {
            for (String[] target : new String[][] {{ordersUrl, "orders-db", "east"}, {usersUrl, "users-db", "west"}}) {
                await(pod.name() + " reaches " + target[1] + " in " + target[2] + " over TCP").atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                            PodHandle.CallResult r = pod.call(target[0]);
                            assertThat(r.field("service")).as("%s", r).isEqualTo(target[1]);
                        });
            }
            String dump = pod.call("http://127.0.0.1:15000/config_dump").body();
            assertThat(dump).as("%s's sidecar has a listener per TCP VIP", pod.name())
                    .contains(ordersVip + "_7070").contains(usersVip + "_7070");
            for (int i = 0; i < 10; i++) {
                PodHandle.CallResult orders = pod.call(ordersUrl);
                PodHandle.CallResult users = pod.call(usersUrl);
                PodHandle.CallResult byVip = pod.call("http://" + ordersVip + ":7070/orders");
                calls += 3;
                failed += (orders.status() == 200 ? 0 : 1) + (users.status() == 200 ? 0 : 1) + (byVip.status() == 200 ? 0 : 1);
                assertThat(orders.field("service")).as("%s: orders-db by name on the shared port: %s", pod.name(), orders)
                        .isEqualTo("orders-db");
                assertThat(orders.field("cluster")).isEqualTo("east");
                assertThat(users.field("service")).as("%s: users-db by name on the same port, through west's gateway: %s",
                        pod.name(), users).isEqualTo("users-db");
                assertThat(users.field("cluster")).isEqualTo("west");
                assertThat(byVip.field("service")).as("%s: orders-db's ClusterIP: %s", pod.name(), byVip).isEqualTo("orders-db");
            }
            // the app keeps its HTTP connections alive, so the calls above share a few TCP connections
            double opened = Metrics.sum(pod.call("http://127.0.0.1:15090/stats/prometheus").body(), "istio_tcp_connections_opened_total",
                    "reporter=\"source\"", "destination_service=\"orders-db.default.svc.cluster.local\"",
                    "destination_principal=\"spiffe://cluster.local/ns/default/sa/orders-db\"");
            report.value("sourceReportedOrdersConnections-" + pod.name(), opened);
            assertThat(opened).as("%s's sidecar counted its mTLS connections to orders-db (reporter=source, the server's "
                    + "SPIFFE ID verified)", pod.name()).isGreaterThanOrEqualTo(1);
        }
        report.count(calls, failed).value("ordersVip", ordersVip).value("usersVip", usersVip)
                .outcome(failed == 0 ? "passed" : "failed").write(SharedFederation.reportDir());
        assertThat(failed).isZero();
    }

    /**
     * A VirtualService's weighted {@code tcp} route on orders-db's port sends half of the new connections to users-db in
     * west (through west's gateway) and half to orders-db in east; deleted, every connection goes to orders-db again.
     */
    @Test
    @Order(4)
    void a_weighted_tcp_route_splits_new_connections_across_clusters() {
        ScenarioReport report = ScenarioReport.of("capture-tcp-split");
        String split = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: orders-db-split, namespace: default}
                spec:
                  hosts: [orders-db.default.svc.cluster.local]
                  tcp:
                    - match: [{port: 7070}]
                      route:
                        - {destination: {host: orders-db.default.svc.cluster.local}, weight: 50}
                        - {destination: {host: users-db.default.svc.cluster.local}, weight: 50}
                """;
        String ordersUrl = "http://" + MeshLabels.serviceHostname("orders-db", "default") + ":7070/orders";
        fed.cluster("east").applyConfig(split);
        try {
            await("the split reaches east's client proxy").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> client.call("http://127.0.0.1:15000/config_dump").body().contains("weighted_clusters"));
            int orders = 0;
            int users = 0;
            int failed = 0;
            for (int i = 0; i < 60; i++) {
                PodHandle.Fetched f = client.fetch(ordersUrl);
                if (f.status() != 200) {
                    failed++;
                } else if (f.field("service").equals("orders-db")) {
                    orders++;
                } else if (f.field("service").equals("users-db") && f.field("cluster").equals("west")) {
                    users++;
                }
            }
            report.count(60, failed).value("ordersDb", orders).value("usersDb", users)
                    .outcome(failed == 0 && orders >= 15 && users >= 15 ? "passed" : "failed").write(SharedFederation.reportDir());
            assertThat(failed).as("failed connections of 60").isZero();
            assertThat(orders).as("connections answered by orders-db in east (50 %% asked)").isGreaterThanOrEqualTo(15);
            assertThat(users).as("connections answered by users-db in west (50 %% asked)").isGreaterThanOrEqualTo(15);
        } finally {
            fed.cluster("east").deleteConfig(split);
        }
        await("without the route every connection reaches orders-db again").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1)).until(() -> {
                    for (int i = 0; i < 10; i++) {
                        if (!client.fetch(ordersUrl).field("service").equals("orders-db")) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    @Test
    @Order(5)
    void a_server_outside_the_mesh_is_passed_through_under_allow_any_and_refused_under_registry_only() throws IOException {
        LocalFederation local = Targets.local(fed, Capability.TRANSPARENT_CAPTURE);
        String node = local.cluster("east").nodeAddress();
        plain = HttpServer.create(new InetSocketAddress(node, 0), 16);
        plain.createContext("/", ex -> {
            byte[] b = ("plain peer=" + ex.getRemoteAddress().getAddress().getHostAddress() + " host="
                    + ex.getRequestHeaders().getFirst("Host")).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        plain.setExecutor(Executors.newFixedThreadPool(2));
        plain.start();
        int port = plain.getAddress().getPort();
        String url = "http://" + node + ":" + port + "/plain";
        ScenarioReport report = ScenarioReport.of("capture-passthrough");

        // New connections for every call to the plain server (a kept-alive passthrough connection
        // outlives a policy change, as an established connection does in Envoy until it drains).
        PodHandle.Fetched passed = client.fetch(url);
        assertThat(passed.status()).as("ALLOW_ANY: PassthroughCluster connects to %s: %s", url, passed).isEqualTo(200);
        assertThat(passed.body()).as("the server sees the pod's own address (the sidecar's passthrough connection)")
                .contains("peer=" + client.address());
        double passthrough = Metrics.sum(client.call("http://127.0.0.1:15090/stats/prometheus").body(), "istio_tcp_connections_opened_total",
                "destination_service_name=\"PassthroughCluster\"");
        assertThat(passthrough).as("counted under PassthroughCluster").isGreaterThanOrEqualTo(1);
        PodHandle.Fetched passedRedirect = redirected.fetch(url);
        assertThat(passedRedirect.status()).as("REDIRECT capture, ALLOW_ANY: %s", passedRedirect).isEqualTo(200);
        assertThat(passedRedirect.body()).contains("peer=" + redirected.address());

        String sidecar = """
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: default, namespace: default}
                spec:
                  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
                """;
        String entry = """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: plain-node, namespace: default}
                spec:
                  hosts: [%s]
                  location: MESH_EXTERNAL
                  resolution: NONE
                  ports: [{number: %d, name: http, protocol: HTTP}]
                """.formatted(PLAIN_HOST, port);
        long refusedAfter;
        try {
            long applied = System.currentTimeMillis();
            fed.cluster("east").applyConfig(sidecar);
            await("REGISTRY_ONLY refuses the server outside the mesh").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                    .until(() -> client.fetch(url).status() == 0);
            refusedAfter = System.currentTimeMillis() - applied;
            await("REGISTRY_ONLY refuses it from the REDIRECT client too").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(300)).until(() -> redirected.fetch(url).status() == 0);
            double blackHole = Metrics.sum(client.call("http://127.0.0.1:15090/stats/prometheus").body(), "istio_tcp_connections_opened_total",
                    "destination_service_name=\"BlackHoleCluster\"");
            assertThat(blackHole).as("refused connections counted under BlackHoleCluster").isGreaterThanOrEqualTo(1);
            assertThat(client.call(Mesh.REVIEWS_URL).status()).as("mesh services still pass").isEqualTo(200);

            // A ServiceEntry with resolution NONE declares the host: its ORIGINAL_DST cluster connects to where the app called.
            fed.cluster("east").applyConfig(entry);
            await("the NONE ServiceEntry's host passes under REGISTRY_ONLY").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(300)).until(() -> client.call(url, PLAIN_HOST + ":" + port).status() == 200);
            PodHandle.CallResult declared = client.call(url, PLAIN_HOST + ":" + port);
            assertThat(declared.body()).contains("host=" + PLAIN_HOST).contains("peer=" + client.address());
            assertThat(client.call(url).status()).as("an undeclared Host on that port is still refused (block_all)").isEqualTo(502);
            await("the NONE ServiceEntry's host passes from the REDIRECT client").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(300)).until(() -> redirected.call(url, PLAIN_HOST + ":" + port).status() == 200);
            assertThat(redirected.call(url, PLAIN_HOST + ":" + port).body()).contains("peer=" + redirected.address());
            double viaEntry = Metrics.sum(client.call("http://127.0.0.1:15090/stats/prometheus").body(), "istio_requests_total",
                    "reporter=\"source\"", "destination_service=\"" + PLAIN_HOST + "\"", "response_code=\"200\"");
            assertThat(viaEntry).as("counted under the entry's host").isGreaterThanOrEqualTo(1);
        } finally {
            fed.cluster("east").deleteConfig(entry);
            fed.cluster("east").deleteConfig(sidecar);
        }
        await("ALLOW_ANY again").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> client.fetch(url).status() == 200);
        report.count(1, 0).value("refusedAfterMs", refusedAfter).value("plainServer", node + ":" + port)
                .outcome("passed").write(SharedFederation.reportDir());
    }

    @Test
    @Order(6)
    void under_load_east_loses_every_reviews_pod_and_captured_calls_move_to_west_and_back() {
        ScenarioReport report = ScenarioReport.of("capture-failover");
        client.startLoad("capture-host", Mesh.REVIEWS_URL, INTERVAL);
        client.startLoad("capture-vip", "http://" + reviewsVip + ":9080/reviews", VIP_INTERVAL);
        redirected.startLoad("redirect-host", Mesh.REVIEWS_URL, VIP_INTERVAL);
        await("steady load flowing").atMost(Duration.ofSeconds(30))
                .until(() -> client.loadStats("capture-host").ok() >= 100 && client.loadStats("capture-vip").ok() >= 50
                        && redirected.loadStats("redirect-host").ok() >= 50);

        long killedAt = Failover.killEastReviews(fed);
        Failover.awaitSettled(client, "capture-host", "west", killedAt);
        Failover.awaitSettled(client, "capture-vip", "west", killedAt);
        Failover.awaitSettled(redirected, "redirect-host", "west", killedAt);
        PodHandle.CallResult viaGateway = client.call(Mesh.REVIEWS_URL);

        long readyAt = Failover.restoreEastReviews(fed);
        Failover.awaitSettled(client, "capture-host", "east", readyAt);
        Failover.awaitSettled(client, "capture-vip", "east", readyAt);
        Failover.awaitSettled(redirected, "redirect-host", "east", readyAt);
        LoadReport byHost = client.stopLoad("capture-host");
        LoadReport byVip = client.stopLoad("capture-vip");
        LoadReport byRedirect = redirected.stopLoad("redirect-host");

        Failover.Times host = Failover.Times.of(byHost, killedAt, readyAt);
        Failover.Times vip = Failover.Times.of(byVip, killedAt, readyAt);
        Failover.Times redirect = Failover.Times.of(byRedirect, killedAt, readyAt);
        long failed = byHost.failed() + byVip.failed() + byRedirect.failed();
        redirect.addTo(vip.addTo(host.addTo(report.count(byHost.sent() + byVip.sent() + byRedirect.sent(), failed), ""), "vip"), "redirect")
                .value("hostnameRequests", byHost.sent()).value("vipRequests", byVip.sent())
                .value("redirectRequests", byRedirect.sent())
                .value("byCluster", byHost.byCluster()).value("endpointDelayMs", Failover.ENDPOINT_DELAY.toMillis());
        report.outcome(failed == 0 ? "passed" : "failed").write(SharedFederation.reportDir());

        assertThat(viaGateway.field("cluster")).as("answered through west's gateway: %s", viaGateway).isEqualTo("west");
        assertThat(viaGateway.field("caller")).as("west's server sees east's client identity").isEqualTo(Mesh.CLIENT_ID);
        assertThat(byHost.failures()).as("failed requests by hostname (status 0 = no response)").isEmpty();
        assertThat(byVip.failures()).as("failed requests to the ClusterIP (status 0 = no response)").isEmpty();
        assertThat(byRedirect.failures()).as("failed requests of the REDIRECT client (status 0 = no response)").isEmpty();
    }
}
