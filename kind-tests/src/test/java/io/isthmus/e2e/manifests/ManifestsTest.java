package io.isthmus.e2e.manifests;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.isthmus.controller.translate.ProxyView;
import io.isthmus.e2e.net.Ip;
import io.isthmus.e2e.net.NetException;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.sidecar.bootstrap.BootstrapLoader;
import io.isthmus.sidecar.bootstrap.NodeInfo;
import io.isthmus.sidecar.cli.IptablesCommand;
import io.isthmus.sidecar.dns.DnsProxy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The install manifests under {@code topology-configs/manifests} build with kustomize and pass
 * {@code kubectl apply --dry-run=client}; the demo in transparent capture ({@code demo-capture}, the
 * Component {@code capture}, and each kind cluster's share that {@code kind/lib.sh} composes) has the
 * shape of the local runner's captured pods.
 */
class ManifestsTest {
    private static final Path MANIFESTS = Path.of(System.getProperty("isthmus.topologies", "../topology-configs")).resolve("manifests");
    private static final Path KIND = Path.of("kind");
    /** The sidecar's group, which the capture rules leave uncaptured (the local runner's {@code CapturedPod.PROXY_GID}). */
    private static final long PROXY_GID = 1337;
    /**
     * The init step's {@code isthmus iptables} arguments: the local runner's {@code CapturedPod.iptablesFlags(REDIRECT)}
     * (the demo app's control port 15080 stays outside the mesh; the app's DNS is captured).
     */
    private static final List<String> IPTABLES_ARGS = List.of("iptables", "--mode", "REDIRECT", "--proxy-gid", "1337",
            "--exclude-inbound-ports", "15080", "--redirect-dns");
    /** Where the captured pods' DNS proxy listens: the DNS capture port (the local runner's {@code CapturedPod.DNS_CAPTURE_ADDRESS}). */
    private static final String DNS_CAPTURE_ADDRESS = "127.0.0.1:15053";

    @BeforeAll
    static void kubectlPresent() {
        boolean present;
        try {
            Ip.run(List.of("kubectl", "version", "--client"));
            present = true;
        } catch (NetException e) {
            present = false;
        }
        assumeTrue(present, "kubectl is not installed; the manifests are not checked");
    }

    private static String kustomize(String dir) {
        return Ip.run(List.of("kubectl", "kustomize", MANIFESTS.resolve(dir).toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/east", "overlays/west", "overlays/north", "demo", "demo-capture"})
    void builds_and_applies_in_a_client_dry_run(String dir, @TempDir Path tmp) throws IOException {
        String yaml = kustomize(dir);
        Path file = Files.writeString(tmp.resolve("all.yaml"), yaml);
        try (FakeDiscovery api = new FakeDiscovery()) {
            Path kubeconfig = Files.writeString(tmp.resolve("kubeconfig"), api.kubeconfig());
            String out = Ip.run(List.of("kubectl", "--kubeconfig", kubeconfig.toString(), "apply", "--dry-run=client",
                    "--validate=false", "-f", file.toString()));
            assertThat(out).contains("(dry run)").doesNotContain("error");
        }
    }

    @Test
    void each_overlay_sets_its_cluster_and_network() {
        for (String c : List.of("east", "west", "north")) {
            String yaml = kustomize("overlays/" + c);
            assertThat(yaml).contains("cluster: " + c).contains("network: network-" + c)
                    .contains("topology.istio.io/network: network-" + c).doesNotContain("topology.istio.io/network: NETWORK");
        }
    }

    @Test
    void the_remote_overlay_runs_no_controller_and_sends_its_controller_service_to_the_primary_s_gateway() {
        String yaml = kustomize("overlays/north");
        assertThat(yaml).contains("role: remote", "controlPlane: east", "name: istio-eastwestgateway", "kind: CustomResourceDefinition")
                .doesNotContain("--ca-dir");
        String controllerService = yaml.substring(yaml.indexOf("kind: Service\nmetadata:\n  labels:\n    app: isthmus-controller"));
        controllerService = controllerService.substring(0, controllerService.indexOf("---"));
        assertThat(controllerService).contains("port: 15012", "targetPort: 15443").doesNotContain("selector");
    }

    @Test
    void the_base_has_every_part_and_the_istio_kinds() {
        String yaml = kustomize("overlays/east");
        assertThat(yaml).contains("kind: CustomResourceDefinition", "virtualservices.networking.istio.io",
                "authorizationpolicies.security.istio.io", "peerauthentications.security.istio.io",
                "name: isthmus-controller", "name: istio-eastwestgateway", "istio: eastwestgateway",
                "port: 15443", "kind: ClusterRole", "tokenreviews");
    }

    @Test
    void the_demo_manifests_match_the_scene_topology() {
        var topology = io.isthmus.e2e.topology.TopologyLoader.load(MANIFESTS.getParent().resolve("two-clusters-multi-network.yaml"));
        String yaml = kustomize("demo");
        for (var s : topology.services()) {
            assertThat(yaml).as("service %s", s.name()).contains("name: " + s.name() + "\n  namespace: " + s.namespace());
            assertThat(yaml).as("service account of %s", s.name()).contains("serviceAccountName: " + s.serviceAccount());
            assertThat(yaml).as("port of %s", s.name()).contains("port: " + s.firstPort().port());
            for (var p : s.ports()) {
                assertThat(yaml).as("port %s of %s", p.name(), s.name())
                        .contains("port: " + p.port(), "targetPort: " + p.targetPort(), "containerPort: " + p.targetPort(),
                                "appProtocol: " + p.protocol().name().toLowerCase(java.util.Locale.ROOT));
            }
            String appPorts = s.ports().stream().map(p -> Integer.toString(p.targetPort()))
                    .collect(java.util.stream.Collectors.joining(","));
            assertThat(yaml).as("the app of %s listens on every port", s.name()).contains("--port=" + appPorts + "\n");
            for (var w : s.workloads()) {
                assertThat(yaml).as("version %s of %s", w.version(), s.name()).contains("--version=" + w.version());
            }
        }
    }

    @Test
    void demo_pods_carry_their_sidecar_and_resolve_through_it() {
        String yaml = kustomize("demo");
        assertThat(yaml).contains("name: isthmus-proxy", "exec isthmus proxy", "--dns-address 127.0.0.1:53",
                "--dns-upstream", "nameservers:", "- 127.0.0.1", "name: XDS_ADDRESS", "name: CLUSTER_DNS");
    }

    @Test
    void demo_proxies_pass_the_cluster_dns_of_the_config_map_as_their_dns_upstream(@TempDir Path tmp) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        for (String tool : List.of("isthmus-bootstrap", "isthmus")) {
            Path f = Files.writeString(bin.resolve(tool), "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
            assertThat(f.toFile().setExecutable(true)).isTrue();
        }
        List<Deployment> demo = deployments(kustomize("demo"));
        assertThat(demo).hasSize(5);
        for (Deployment d : demo) {
            String name = d.getMetadata().getName();
            Container proxy = container(d, "isthmus-proxy");
            EnvVar dns = proxy.getEnv().stream().filter(e -> e.getName().equals("CLUSTER_DNS")).findFirst()
                    .orElseThrow(() -> new AssertionError(name + ": no CLUSTER_DNS"));
            var ref = dns.getValueFrom().getConfigMapKeyRef();
            assertThat(ref.getName()).as("%s", name).isEqualTo("isthmus-cluster");
            assertThat(ref.getKey()).isEqualTo("dns");
            assertThat(ref.getOptional()).isTrue();
            assertThat(proxy.getCommand()).containsExactly("/bin/sh", "-c");

            assertDnsUpstreamFromConfigMap(bin, name, proxy, "127.0.0.1:53");
        }
        assertThat(Files.readString(KIND.resolve("up.sh"))).contains("--from-literal=dns=\"$dns\"", "dns=\"$(cluster_dns \"$c\")\"");
        assertThat(Files.readString(KIND.resolve("lib.sh"))).contains("-n kube-system get service kube-dns -o jsonpath='{.spec.clusterIP}'");
    }

    /**
     * The proxy container's shell line gives {@code isthmus proxy} its DNS proxy on {@code dnsAddress} and
     * {@code --dns-upstream} with the ConfigMap's cluster DNS ({@code CLUSTER_DNS}), none without it;
     * {@code isthmus proxy} takes both sets of flags.
     */
    private static void assertDnsUpstreamFromConfigMap(Path bin, String name, Container proxy, String dnsAddress)
            throws IOException, InterruptedException {
        List<String> with = proxyArgs(bin, proxy.getArgs().get(0), "10.111.0.10:53");
        assertThat(String.join(" ", with)).as("%s", name).contains("--dns-address " + dnsAddress + " --dns-upstream 10.111.0.10:53");
        List<String> without = proxyArgs(bin, proxy.getArgs().get(0), null);
        assertThat(without).as("%s without the key: the resolv.conf default", name).doesNotContain("--dns-upstream")
                .containsSequence("--dns-address", dnsAddress);
        for (List<String> args : List.of(with, without)) {
            StringWriter err = new StringWriter();
            int rc = new picocli.CommandLine(new io.isthmus.sidecar.cli.ProxyCommand()).setErr(new PrintWriter(err))
                    .execute(args.toArray(String[]::new));
            assertThat(rc).as("%s: isthmus proxy %s takes these flags (only the bootstrap file is missing here): %s",
                    name, args, err).isEqualTo(1);
            assertThat(err.toString()).contains("/etc/isthmus/bootstrap.json");
        }
    }

    /** The arguments the proxy container's shell line gives {@code isthmus proxy}, with {@code CLUSTER_DNS} set or not. */
    private static List<String> proxyArgs(Path bin, String line, String clusterDns) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", line).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().remove("CLUSTER_DNS");
        if (clusterDns != null) {
            pb.environment().put("CLUSTER_DNS", clusterDns);
        }
        Process p = pb.start();
        List<String> out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertThat(p.waitFor()).as("%s", out).isZero();
        int proxy = out.indexOf("proxy");
        assertThat(proxy).as("exec isthmus proxy in %s", out).isNotNegative();
        return out.subList(proxy + 1, out.size());
    }

    @Test
    void the_capture_variant_has_every_demo_object_and_changes_only_the_pod_templates() {
        List<HasMetadata> plain = objects(kustomize("demo"));
        List<HasMetadata> captured = objects(kustomize("demo-capture"));
        assertThat(captured).extracting(ManifestsTest::key).containsExactlyInAnyOrderElementsOf(plain.stream().map(ManifestsTest::key).toList());
        for (HasMetadata o : plain) {
            HasMetadata c = captured.stream().filter(x -> key(x).equals(key(o))).findFirst().orElseThrow();
            if (!(o instanceof Deployment d)) {
                assertThat(c).as("%s is not changed by the capture", key(o)).isEqualTo(o);
                continue;
            }
            var before = d.getSpec().getTemplate().getSpec();
            var after = ((Deployment) c).getSpec().getTemplate().getSpec();
            assertThat(after.getContainers()).as("%s: the app first, then its sidecar", key(o)).extracting(Container::getName)
                    .containsExactly("app", "isthmus-proxy");
            assertThat(after.getContainers().get(0)).as("%s: the app container is untouched", key(o)).isEqualTo(before.getContainers().get(0));
            assertThat(after.getVolumes()).isEqualTo(before.getVolumes());
            assertThat(after.getNodeSelector()).isEqualTo(before.getNodeSelector());
            assertThat(after.getServiceAccountName()).isEqualTo(before.getServiceAccountName());
            assertThat(((Deployment) c).getSpec().getSelector()).isEqualTo(d.getSpec().getSelector());
            Container proxyBefore = before.getContainers().get(1);
            Container proxyAfter = after.getContainers().get(1);
            assertThat(proxyAfter.getImage()).isEqualTo(proxyBefore.getImage());
            assertThat(proxyAfter.getVolumeMounts()).isEqualTo(proxyBefore.getVolumeMounts());
            assertThat(proxyAfter.getReadinessProbe()).isEqualTo(proxyBefore.getReadinessProbe());
            List<EnvVar> env = new ArrayList<>(proxyAfter.getEnv());
            assertThat(env.removeIf(e -> e.getName().equals("INTERCEPTION_MODE"))).isTrue();
            assertThat(env).as("%s: the sidecar's environment is the demo's plus INTERCEPTION_MODE", key(o))
                    .containsExactlyInAnyOrderElementsOf(proxyBefore.getEnv());
        }
    }

    @Test
    void every_captured_demo_pod_runs_the_iptables_init_step_as_root_with_net_admin_and_net_raw_only_and_its_sidecar_in_group_1337() {
        List<Deployment> deployments = deployments(kustomize("demo-capture"));
        assertThat(deployments).extracting(d -> d.getMetadata().getName())
                .containsExactlyInAnyOrder("reviews-v1", "reviews-v2", "details-v1", "client", "ratings-v1");
        deployments.forEach(ManifestsTest::assertCaptured);
    }

    /** The shape of one captured demo pod: init step, sidecar identity and mode, the app and its DNS. */
    private static void assertCaptured(Deployment d) {
        String name = d.getMetadata().getName();
        var pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getInitContainers()).as("%s: one init container", name).extracting(Container::getName).containsExactly("isthmus-init");
        Container init = pod.getInitContainers().get(0);
        Container app = container(d, "app");
        Container proxy = container(d, "isthmus-proxy");
        assertThat(init.getImage()).as("%s: isthmus iptables comes from the proxy's image", name).isEqualTo(proxy.getImage());
        assertThat(init.getCommand()).as("%s: the image's entry point, the isthmus command", name).isNullOrEmpty();
        assertThat(init.getArgs()).as("%s: isthmus iptables in REDIRECT mode, the sidecar's group excluded", name)
                .isEqualTo(IPTABLES_ARGS);
        var initSc = init.getSecurityContext();
        assertThat(initSc.getRunAsUser()).as("%s: the init step runs as root", name).isZero();
        assertThat(initSc.getRunAsNonRoot()).isFalse();
        assertThat(initSc.getPrivileged()).as("%s: not privileged", name).isFalse();
        assertThat(initSc.getAllowPrivilegeEscalation()).isFalse();
        assertThat(initSc.getCapabilities().getAdd()).as("%s: exactly NET_ADMIN and NET_RAW", name)
                .containsExactlyInAnyOrder("NET_ADMIN", "NET_RAW");
        assertThat(initSc.getCapabilities().getDrop()).containsExactly("ALL");

        var proxySc = proxy.getSecurityContext();
        assertThat(proxySc.getRunAsUser()).as("%s: the sidecar's user", name).isEqualTo(PROXY_GID);
        assertThat(proxySc.getRunAsGroup()).as("%s: the sidecar's group, which the rules leave uncaptured", name).isEqualTo(PROXY_GID);
        assertThat(proxySc.getRunAsNonRoot()).isTrue();
        assertThat(proxySc.getAllowPrivilegeEscalation()).isFalse();
        assertThat(proxySc.getCapabilities().getAdd()).as("%s: REDIRECT needs no capability in the proxy", name).isNullOrEmpty();
        assertThat(proxySc.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(env(proxy)).as("%s: the bootstrap says REDIRECT", name).containsEntry("INTERCEPTION_MODE", "REDIRECT");
        String command = String.join(" ", proxy.getArgs());
        assertThat(command).as("%s: the DNS proxy on the DNS capture port, its upstream the cluster DNS", name)
                .contains("isthmus-bootstrap sidecar /etc/isthmus/bootstrap.json", "exec isthmus proxy",
                        "--dns-address " + DNS_CAPTURE_ADDRESS, "${CLUSTER_DNS:+--dns-upstream \"$CLUSTER_DNS\"}");
        assertThat(proxy.getEnv()).as("%s: CLUSTER_DNS from the isthmus-cluster ConfigMap's key dns", name)
                .anySatisfy(e -> {
                    assertThat(e.getName()).isEqualTo("CLUSTER_DNS");
                    assertThat(e.getValueFrom().getConfigMapKeyRef().getName()).isEqualTo("isthmus-cluster");
                    assertThat(e.getValueFrom().getConfigMapKeyRef().getKey()).isEqualTo("dns");
                });

        assertThat(env(app)).as("%s: the app is not the proxy", name).doesNotContainKey("INTERCEPTION_MODE");
        assertThat(app.getSecurityContext()).as("%s: the app keeps the image's user, not group 1337", name).isNull();
        assertThat(pod.getSecurityContext() == null || pod.getSecurityContext().getRunAsGroup() == null
                && pod.getSecurityContext().getFsGroup() == null && pod.getSecurityContext().getSupplementalGroups().isEmpty())
                .as("%s: no pod-wide group that would put the app in the sidecar's group", name).isTrue();
        assertThat(pod.getDnsPolicy()).as("%s: the app's nameserver is the cluster's DNS, whose queries the rules capture", name)
                .isEqualTo("ClusterFirst");
        assertThat(pod.getDnsConfig()).isNull();
    }

    @Test
    void captured_proxies_run_their_dns_proxy_on_the_capture_port_with_the_config_map_s_cluster_dns_upstream(@TempDir Path tmp)
            throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        for (String tool : List.of("isthmus-bootstrap", "isthmus")) {
            Path f = Files.writeString(bin.resolve(tool), "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
            assertThat(f.toFile().setExecutable(true)).isTrue();
        }
        List<Deployment> captured = deployments(kustomize("demo-capture"));
        assertThat(captured).hasSize(5);
        for (Deployment d : captured) {
            Container proxy = container(d, "isthmus-proxy");
            assertThat(proxy.getCommand()).containsExactly("/bin/sh", "-c");
            assertDnsUpstreamFromConfigMap(bin, d.getMetadata().getName(), proxy, DNS_CAPTURE_ADDRESS);
        }
    }

    @Test
    void the_init_step_s_arguments_make_isthmus_iptables_leave_the_sidecar_s_group_and_the_control_port_uncaptured() {
        Container init = deployments(kustomize("demo-capture")).get(0).getSpec().getTemplate().getSpec().getInitContainers().get(0);
        List<String> args = new ArrayList<>(init.getArgs().subList(1, init.getArgs().size()));
        args.add("--dry-run");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = new picocli.CommandLine(new IptablesCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args.toArray(String[]::new));
        assertThat(rc).as("isthmus iptables %s: %s", args, err).isZero();
        assertThat(out.toString()).contains("*nat", "REDIRECT --to-ports 15001", "REDIRECT --to-ports 15006",
                "-A ISTHMUS_OUTPUT -m owner --gid-owner 1337 -j RETURN", "-A ISTHMUS_INBOUND -p tcp --dport 15080 -j RETURN",
                "-A ISTHMUS_INBOUND -p tcp --dport 15021 -j RETURN").doesNotContain("TPROXY");
        // DNS capture: the app's UDP queries to port 53 go to the DNS proxy, the sidecar's group's own do not,
        // and the raw table splits the two kinds of DNS flows into conntrack zones
        String nat = out.toString().substring(out.toString().indexOf("*nat"));
        nat = nat.substring(0, nat.indexOf("COMMIT"));
        assertThat(nat).as("the nat table").contains("-p udp --dport 53", "-m owner --gid-owner 1337 -j RETURN",
                "--dport 53 -j REDIRECT --to-ports 15053");
        assertThat(nat.indexOf("--gid-owner 1337 -j RETURN", nat.indexOf("udp --dport 53")))
                .as("the proxy's own queries return before the redirect").isLessThan(nat.indexOf("REDIRECT --to-ports 15053"));
        assertThat(out.toString()).as("the raw table's conntrack zones").contains("*raw", "-m owner --gid-owner 1337 -j CT --zone",
                "-p udp --dport 53 -j CT --zone");
    }

    @Test
    void the_sidecar_s_bootstrap_from_the_capture_manifest_puts_the_controller_in_redirect_mode() throws IOException {
        Deployment captured = deployments(kustomize("demo-capture")).stream()
                .filter(d -> d.getMetadata().getName().equals("reviews-v1")).findFirst().orElseThrow();
        NodeInfo node = bootstrap(env(container(captured, "isthmus-proxy")));
        assertThat(node.string(ProxyMetadata.INTERCEPTION_MODE)).isEqualTo("REDIRECT");
        assertThat(ProxyView.fromNode(node.node()).interceptionMode()).as("the controller sends the capture listeners")
                .isEqualTo(ProxyView.InterceptionMode.REDIRECT);
        assertThat(DnsProxy.capturesTransparently(node.string(ProxyMetadata.INTERCEPTION_MODE))).isTrue();

        Deployment plain = deployments(kustomize("demo")).stream()
                .filter(d -> d.getMetadata().getName().equals("reviews-v1")).findFirst().orElseThrow();
        NodeInfo none = bootstrap(env(container(plain, "isthmus-proxy")));
        assertThat(none.node().getMetadata().getFieldsMap()).as("the plain demo's bootstrap has no INTERCEPTION_MODE")
                .doesNotContainKey(ProxyMetadata.INTERCEPTION_MODE);
        assertThat(ProxyView.fromNode(none.node()).interceptionMode()).isEqualTo(ProxyView.InterceptionMode.NONE);
    }

    @Test
    void the_bootstrap_script_refuses_an_unknown_interception_mode(@TempDir Path tmp) throws IOException, InterruptedException {
        Map<String, String> env = new HashMap<>(downwardApi());
        env.put("XDS_ADDRESS", "isthmus-controller.isthmus-system.svc:15012");
        env.put("INTERCEPTION_MODE", "REDIRECTED");
        ProcessBuilder pb = new ProcessBuilder("sh", KIND.resolve("image/isthmus-bootstrap").toString(), "sidecar",
                tmp.resolve("b.json").toString()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isEqualTo(2);
        assertThat(out).contains("INTERCEPTION_MODE 'REDIRECTED' is not REDIRECT, TPROXY or NONE");
        assertThat(tmp.resolve("b.json")).doesNotExist();
        for (String mode : List.of("TPROXY", "NONE")) {
            env.put("INTERCEPTION_MODE", mode);
            NodeInfo node = bootstrapWith(env, tmp.resolve(mode + ".json"));
            assertThat(node.string(ProxyMetadata.INTERCEPTION_MODE)).isEqualTo(mode);
        }
    }

    @Test
    void up_sh_composes_each_cluster_s_captured_share_of_the_demo_with_the_same_component(@TempDir Path tmp) {
        Map<String, List<String>> shares = Map.of("east", List.of("demo/reviews.yaml", "demo/client.yaml", "demo/ratings.yaml"),
                "west", List.of("demo/reviews.yaml", "demo/details.yaml", "demo/ratings.yaml"));
        for (var share : shares.entrySet()) {
            Path dir = tmp.resolve("demo-capture-" + share.getKey());
            List<String> cmd = new ArrayList<>(List.of("bash", "-c", "source kind/lib.sh && capture_demo \"$@\"", "capture_demo",
                    dir.toString()));
            cmd.addAll(share.getValue());
            Ip.run(cmd);
            List<Deployment> deployments = deployments(Ip.run(List.of("kubectl", "kustomize", dir.toString())));
            assertThat(deployments).as(share.getKey()).extracting(d -> d.getMetadata().getName())
                    .containsExactlyInAnyOrder("reviews-v1", "reviews-v2", "ratings-v1",
                            share.getKey().equals("east") ? "client" : "details-v1");
            deployments.forEach(ManifestsTest::assertCaptured);
            for (Deployment d : deployments) {
                Deployment all = deployments(kustomize("demo-capture")).stream()
                        .filter(x -> x.getMetadata().getName().equals(d.getMetadata().getName())).findFirst().orElseThrow();
                assertThat(d).as("%s in %s is demo-capture's", d.getMetadata().getName(), share.getKey()).isEqualTo(all);
            }
        }
    }

    @Test
    void up_sh_creates_no_pod_less_details_service_in_either_mode_and_removes_one_left_by_an_earlier_install() {
        for (String mode : List.of("NONE", "REDIRECT")) {
            String east = installDemo(mode, "east");
            assertThat(east).as("%s, east (calls details, does not run it)", mode).doesNotContain("details.yaml")
                    .contains("--context kind-east -n default delete service details --ignore-not-found");
            String west = installDemo(mode, "west");
            assertThat(west).as("%s, west runs details", mode).contains("demo/details.yaml").doesNotContain("delete service details");
        }
        assertThat(installDemo("REDIRECT", "east")).contains("capture_demo ", "demo/reviews.yaml demo/client.yaml demo/ratings.yaml",
                "--context kind-east apply -k ");
        assertThat(installDemo("NONE", "east")).contains("--context kind-east apply -f ", "/demo/reviews.yaml", "/demo/client.yaml")
                .doesNotContain("capture_demo");
    }

    /**
     * ratings as the topology declares it: in east ratings-v1 with a sidecar and ratings-v2 without, in west ratings-v2
     * only. The pod without a sidecar is applied as it is in both capture modes (the capture Component would give it
     * one), has no proxy container, and serves its port on every address.
     */
    @Test
    void up_sh_installs_ratings_without_a_sidecar_as_it_is_in_both_modes() throws Exception {
        for (String mode : List.of("NONE", "REDIRECT")) {
            String east = installDemo(mode, "east");
            assertThat(east).as("%s, east", mode).contains("demo/ratings.yaml", "apply -f ", "/demo/ratings-no-sidecar.yaml")
                    .doesNotContain("delete deployment ratings-v1");
            String west = installDemo(mode, "west");
            assertThat(west).as("%s, west", mode).contains("/demo/ratings-no-sidecar.yaml",
                    "--context kind-west -n default delete deployment ratings-v1 --ignore-not-found");
            assertThat(installDemo(mode, "north")).as("%s, north", mode).doesNotContain("ratings");
        }
        assertThat(installDemo("REDIRECT", "east").lines().filter(l -> l.contains("ratings-no-sidecar")))
                .as("never through the capture Component").allSatisfy(l -> assertThat(l).startsWith("kubectl ").contains(" apply -f "));
        Object parsed = new KubernetesSerialization().unmarshal(Files.readString(MANIFESTS.resolve("demo/ratings-no-sidecar.yaml")));
        List<?> docs = parsed instanceof List<?> l ? l : List.of(parsed);
        List<Deployment> plain = docs.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).toList();
        assertThat(plain).singleElement().satisfies(d -> {
            assertThat(d.getMetadata().getName()).isEqualTo("ratings-v2");
            assertThat(d.getSpec().getTemplate().getSpec().getContainers()).extracting(c -> c.getName()).containsExactly("app");
            assertThat(d.getSpec().getTemplate().getSpec().getInitContainers()).isNullOrEmpty();
            assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).doesNotContainKey("security.istio.io/tlsMode");
            assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).contains("--app-address=0.0.0.0");
        });
    }

    /** What up.sh's {@code install_demo} does for a cluster in a capture mode: its kubectl and capture_demo calls, one a line. */
    private static String installDemo(String mode, String cluster) {
        return Ip.run(List.of("bash", "-c", "source kind/lib.sh && eval \"$(sed -n '/^install_demo() {/,/^}/p' kind/up.sh)\""
                + " && kubectl() { printf 'kubectl %s\\n' \"$*\"; } && capture_demo() { printf 'capture_demo %s\\n' \"$*\"; }"
                + " && log() { :; } && CAPTURE=\"$1\" && install_demo \"$2\"", "install_demo", mode, cluster));
    }

    private static List<HasMetadata> objects(String yaml) {
        Object o = new KubernetesSerialization().unmarshal(yaml);
        if (!(o instanceof List<?> l)) {
            return fail("kustomize built one object, not a list: %s", o);
        }
        return l.stream().map(HasMetadata.class::cast).toList();
    }

    private static List<Deployment> deployments(String yaml) {
        return objects(yaml).stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).toList();
    }

    private static String key(HasMetadata o) {
        return o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

    private static Container container(Deployment d, String name) {
        return d.getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(d.getMetadata().getName() + " has no container " + name));
    }

    /** A container's literal environment values (downward-API ones are left out). */
    private static Map<String, String> env(Container c) {
        Map<String, String> m = new HashMap<>();
        Optional.ofNullable(c.getEnv()).orElse(List.of()).stream().filter(e -> e.getValue() != null)
                .forEach(e -> m.put(e.getName(), e.getValue()));
        return m;
    }

    /** What the kubelet would fill in from the downward API and the isthmus-cluster ConfigMap. */
    private static Map<String, String> downwardApi() {
        return Map.of("POD_NAME", "reviews-v1-7d4f-abcde", "POD_NAMESPACE", "default", "POD_IP", "10.110.1.5",
                "CLUSTER_NAME", "east", "NETWORK", "network-east", "SERVICE_ACCOUNT", "bookinfo-reviews");
    }

    /** Runs isthmus-bootstrap with a container's literal environment and the downward API's, and loads the result as the proxy does. */
    private static NodeInfo bootstrap(Map<String, String> containerEnv) throws IOException {
        Map<String, String> env = new HashMap<>(downwardApi());
        env.putAll(containerEnv);
        return bootstrapWith(env, Files.createTempFile("bootstrap", ".json"));
    }

    private static NodeInfo bootstrapWith(Map<String, String> env, Path out) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("sh", KIND.resolve("image/isthmus-bootstrap").toString(), "sidecar", out.toString())
                .redirectErrorStream(true);
        pb.environment().remove("INTERCEPTION_MODE");
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            assertThat(p.waitFor()).as("isthmus-bootstrap: %s", output).isZero();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return BootstrapLoader.load(out).node();
    }
}
