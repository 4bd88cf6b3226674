package io.isthmus.sidecar.capture;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TPROXY capture for real, in the two network namespaces of {@link CaptureNamespaces}: the proxy runs
 * in the pod with Istio's TPROXY listeners ({@code transparent: true}) after {@code isthmus iptables
 * --mode TPROXY}; once with the proxy in its own group (every destination captured), once with only
 * the service range captured and the proxy in the app's group. Skipped unless root with
 * {@code ip netns}, iptables (TPROXY) and setpriv.
 */
class TproxyCaptureTest {

    @TempDir
    Path dir;

    private CaptureNamespaces ns;

    @BeforeEach
    void namespaces() throws Exception {
        ns = new CaptureNamespaces("tpx", dir);
        ns.assumeTarget("mangle", "PREROUTING", "-p", "tcp", "--dport", "1", "-j", "TPROXY", "--on-port", "1",
                "--tproxy-mark", "0x1/0x1");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (ns != null) {
            ns.close();
        }
    }

    /**
     * Outbound policy ALLOW_ANY: destinations no listener takes are passed through to where the app meant.
     * With DNS capture, which goes through the nat table in TPROXY mode too.
     */
    @Test
    void capturesOutboundAndInboundWithoutLoopingAndCleansUp() throws Exception {
        ns.captures(CaptureMode.TPROXY, List.of("--proxy-gid", "1337", "--redirect-dns"),
                List.of("setpriv", "--regid=1337", "--clear-groups"), true);
    }

    /**
     * Only the service range captured: the proxy runs in the app's own group and its upstream calls
     * still leave uncaptured. Outbound policy REGISTRY_ONLY: unknown destinations are refused and counted.
     */
    @Test
    void capturingOnlyTheServiceRangeNeedsNoProxyGroup() throws Exception {
        ns.captures(CaptureMode.TPROXY, List.of("--proxy-gid", "", "--include-outbound-ip-ranges", "10.96.0.0/12"), List.of(), false);
    }

    /**
     * Dual stack (ULA addresses on the veth pair): IPv6 is captured by ip6tables TPROXY, the local address is the original
     * destination; IPv6 DNS goes through ip6tables' nat table to the DNS proxy on [::1]:15053.
     */
    @Test
    void dualStackCapturesIpv6Too() throws Exception {
        ns.captures(CaptureMode.TPROXY, CaptureNamespaces.Stack.DUAL, List.of("--proxy-gid", "1337", "--redirect-dns"),
                List.of("setpriv", "--regid=1337", "--clear-groups"), true);
    }
}
