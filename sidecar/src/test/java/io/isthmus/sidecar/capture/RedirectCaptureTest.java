package io.isthmus.sidecar.capture;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * REDIRECT capture (Istio's default interception mode) for real, in the two network namespaces of
 * {@link CaptureNamespaces}: {@code isthmus iptables --mode REDIRECT} installs Istio's nat rules, the
 * proxy runs in the pod with Istio's REDIRECT listeners (no {@code transparent}) and reads each
 * connection's original destination with {@code SO_ORIGINAL_DST}; the proxy runs with no capability
 * at all (REDIRECT needs no transparent socket). Once with the proxy in its own group (every
 * destination captured), once with only the service range captured and the proxy in the app's group.
 * Skipped unless root with {@code ip netns}, iptables (nat REDIRECT) and setpriv.
 */
class RedirectCaptureTest {

    /** setpriv: no capability in any set, so the proxy could not set IP_TRANSPARENT (or anything else privileged). */
    private static final List<String> NO_CAPABILITIES = List.of("--inh-caps=-all", "--bounding-set=-all");

    @TempDir
    Path dir;

    private CaptureNamespaces ns;

    @BeforeEach
    void namespaces() throws Exception {
        ns = new CaptureNamespaces("rdr", dir);
        ns.assumeTarget("nat", "OUTPUT", "-p", "tcp", "--dport", "1", "-j", "REDIRECT", "--to-ports", "1");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (ns != null) {
            ns.close();
        }
    }

    /**
     * Outbound policy ALLOW_ANY: destinations no listener takes are passed through to where the app meant.
     * With DNS capture: the app's UDP DNS goes to the DNS proxy on 127.0.0.1:15053 (which binds it without privilege).
     */
    @Test
    void capturesOutboundAndInboundWithoutLoopingAndCleansUp() throws Exception {
        List<String> proxy = new java.util.ArrayList<>(List.of("setpriv", "--regid=1337", "--clear-groups"));
        proxy.addAll(NO_CAPABILITIES);
        ns.captures(CaptureMode.REDIRECT, List.of("--proxy-gid", "1337", "--redirect-dns"), proxy, true);
    }

    /**
     * Only the service range captured: the proxy runs in the app's own group and its upstream calls
     * still leave uncaptured. Outbound policy REGISTRY_ONLY: unknown destinations are refused and counted.
     */
    @Test
    void capturingOnlyTheServiceRangeNeedsNoProxyGroup() throws Exception {
        List<String> proxy = new java.util.ArrayList<>(List.of("setpriv"));
        proxy.addAll(NO_CAPABILITIES);
        ns.captures(CaptureMode.REDIRECT, List.of("--proxy-gid", "", "--include-outbound-ip-ranges", "10.96.0.0/12"), proxy, false);
    }

    /**
     * Dual stack (ULA addresses on the veth pair): IPv6 is captured by ip6tables, the original destination read with
     * IP6T_SO_ORIGINAL_DST; IPv6 DNS goes to the DNS proxy on [::1]:15053.
     */
    @Test
    void dualStackCapturesIpv6Too() throws Exception {
        List<String> proxy = new java.util.ArrayList<>(List.of("setpriv", "--regid=1337", "--clear-groups"));
        proxy.addAll(NO_CAPABILITIES);
        ns.captures(CaptureMode.REDIRECT, CaptureNamespaces.Stack.DUAL, List.of("--proxy-gid", "1337", "--redirect-dns"), proxy, true);
    }
}
