package io.isthmus.e2e.local;

import io.isthmus.e2e.net.PodNetwork;
import io.isthmus.e2e.topology.CaptureMode;
import io.isthmus.sidecar.cli.IptablesCommand;
import io.isthmus.sidecar.cli.ProxyCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CapturedPodTest {
    private static final PodNetwork NETNS = new PodNetwork("isthmus-east-client-v1-0", "10.1.3.1", List.of("10.1.3.1"));

    @Test
    void the_tproxy_sidecar_runs_in_the_pod_namespace_in_the_group_the_rules_leave_alone_and_is_the_pod_s_nameserver() {
        assertThat(CapturedPod.proxyPrefix(NETNS, CaptureMode.TPROXY)).containsExactly("ip", "netns", "exec", "isthmus-east-client-v1-0",
                "setpriv", "--regid=1337", "--clear-groups");
        assertThat(CapturedPod.iptablesFlags(CaptureMode.TPROXY)).containsExactly("--mode", "TPROXY", "--proxy-gid", "1337",
                "--exclude-inbound-ports", "15080");
        assertThat(CapturedPod.dnsFlags(CaptureMode.TPROXY)).containsExactly("--dns-address", "127.0.0.1:53", "--dns-upstream", "none");
        assertThat(CapturedPod.resolvConf(CaptureMode.TPROXY, "default")).startsWith("nameserver 127.0.0.1\n");
    }

    @Test
    void the_redirect_pod_captures_its_dns_and_its_sidecar_runs_as_user_and_group_1337_without_capabilities() {
        assertThat(CapturedPod.proxyPrefix(NETNS, CaptureMode.REDIRECT)).containsExactly("ip", "netns", "exec",
                "isthmus-east-client-v1-0", "setpriv", "--reuid=1337", "--regid=1337", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all");
        assertThat(CapturedPod.iptablesFlags(CaptureMode.REDIRECT)).containsExactly("--mode", "REDIRECT", "--proxy-gid", "1337",
                "--exclude-inbound-ports", "15080", "--redirect-dns");
        assertThat(CapturedPod.dnsFlags(CaptureMode.REDIRECT)).containsExactly("--dns-address", "127.0.0.1:15053",
                "--dns-upstream", "none");
        assertThat(CapturedPod.resolvConf(CaptureMode.REDIRECT, "default")).as("the kubelet's ClusterFirst resolv.conf")
                .isEqualTo("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\n"
                        + "options ndots:5 timeout:1 attempts:2\n");
    }

    @Test
    void the_cluster_dns_is_inside_the_routed_service_range_and_outside_every_cluster_s_block() throws Exception {
        String[] range = CapturedPod.SERVICE_RANGE.split("/");
        int prefix = Integer.parseInt(range[1]);
        int mask = -1 << (32 - prefix);
        int net = java.nio.ByteBuffer.wrap(java.net.InetAddress.getByName(range[0]).getAddress()).getInt();
        int dns = java.nio.ByteBuffer.wrap(java.net.InetAddress.getByName(CapturedPod.CLUSTER_DNS).getAddress()).getInt();
        assertThat(dns & mask).as("%s in %s: routed out of eth0 like a ClusterIP", CapturedPod.CLUSTER_DNS, CapturedPod.SERVICE_RANGE)
                .isEqualTo(net & mask);
        // clusters are numbered from 1: their Services get 10.96.<n>.<k>, never 10.96.0.x
        assertThat(CapturedPod.CLUSTER_DNS).startsWith("10.96.0.");
    }

    @Test
    void isthmus_iptables_takes_the_redirect_pod_s_flags_and_captures_its_udp_dns_to_the_dns_proxy() {
        List<String> args = new ArrayList<>(CapturedPod.iptablesFlags(CaptureMode.REDIRECT));
        args.add("--dry-run");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = new CommandLine(new IptablesCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args.toArray(String[]::new));
        assertThat(rc).as("isthmus iptables %s: %s", args, err).isZero();
        assertThat(out.toString()).contains("-p udp", "--dport 53", "REDIRECT --to-ports 15053", "*raw");

        args = new ArrayList<>(CapturedPod.iptablesFlags(CaptureMode.TPROXY));
        args.add("--dry-run");
        out = new StringWriter();
        rc = new CommandLine(new IptablesCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args.toArray(String[]::new));
        assertThat(rc).isZero();
        assertThat(out.toString()).as("the TPROXY pod captures no DNS").doesNotContain("15053").doesNotContain("--dport 53 ");
    }

    @Test
    void isthmus_proxy_takes_both_pods_dns_flags() {
        for (CaptureMode mode : List.of(CaptureMode.TPROXY, CaptureMode.REDIRECT)) {
            List<String> args = new ArrayList<>(List.of("--bootstrap", "/nonexistent/bootstrap.json", "--token-file",
                    "/nonexistent/token", "--root-cert", "/nonexistent/root-cert.pem"));
            args.addAll(CapturedPod.dnsFlags(mode));
            StringWriter err = new StringWriter();
            int rc = new CommandLine(new ProxyCommand()).setErr(new PrintWriter(err)).execute(args.toArray(String[]::new));
            assertThat(rc).as("%s: isthmus proxy %s takes these flags (only the bootstrap file is missing): %s", mode, args, err)
                    .isEqualTo(1);
            assertThat(err.toString()).contains("/nonexistent/bootstrap.json");
        }
    }

    @Test
    void capture_is_refused_without_a_network_namespace_before_anything_is_changed() {
        PodNetwork loopback = new PodNetwork("", "127.1.3.1", List.of("127.1.3.1"), "127.1.3.2", "127.1.3.3");
        assertThatThrownBy(() -> CapturedPod.prepare(loopback, CaptureMode.TPROXY, "default", "east-client-v1-0", Path.of("target")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("east-client-v1-0").hasMessageContaining("needs network namespaces");
    }
}
