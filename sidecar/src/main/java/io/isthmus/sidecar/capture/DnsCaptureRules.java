package io.isthmus.sidecar.capture;

import java.util.ArrayList;
import java.util.List;

/**
 * The rules of DNS capture (Istio's {@code istio-iptables --redirect-dns}), part of
 * {@link CaptureRules} in either mode and either family. In the nat table, UDP to port 53 enters
 * {@code ISTHMUS_OUTPUT_DNS}: the proxy's own queries (by uid, gid) return, every other one is
 * redirected to the DNS capture port, whatever its destination (DNS always goes through the nat
 * table, as in Istio; TCP to port 53 is not matched and stays ordinary outbound TCP). In the raw
 * table, conntrack zones (Istio's {@code addDNSConntrackZones}): zone 1 holds the proxy's queries to
 * its upstream resolvers (to port 53, by uid and gid) and, in PREROUTING, their answers (from port
 * 53); zone 2 the app's queries (to port 53) and the DNS proxy's answers to them (from the DNS
 * capture port, by uid and gid). The first {@code CT} target that matches a packet sets its zone, so
 * the proxy's rules come before the app's. Two flows with the same addresses and ports (the app's
 * query to the cluster DNS from port X, and later the proxy's own query to it from the same port X
 * while the app's redirected entry lives) are then two conntrack entries, and the proxy's query is
 * never taken for the app's and redirected back to the proxy.
 */
final class DnsCaptureRules {
    /** The DNS port, whose UDP traffic DNS capture redirects and splits into conntrack zones. */
    static final int DNS_PORT = 53;
    /** Conntrack zone of the proxy's own DNS flows: its queries to the upstream resolvers and their answers. */
    static final int ZONE_UPSTREAM = 1;
    /** Conntrack zone of the app's DNS flows: its queries (redirected to the DNS proxy) and the DNS proxy's answers. */
    static final int ZONE_APP = 2;
    /** The nat chain of DNS capture, and in the raw table the chain of locally generated DNS packets. */
    private static final String OUTPUT_CHAIN = "ISTHMUS_OUTPUT_DNS";
    /** The raw chain of DNS packets arriving from elsewhere (the upstream resolvers' answers). */
    private static final String PREROUTING_CHAIN = "ISTHMUS_PREROUTING_DNS";
    private static final String NAT_JUMP = "OUTPUT -p udp --dport " + DNS_PORT + " -j " + OUTPUT_CHAIN;
    private static final String RAW_JUMP_OUTPUT = "OUTPUT -p udp -j " + OUTPUT_CHAIN;
    private static final String RAW_JUMP_PREROUTING = "PREROUTING -p udp -j " + PREROUTING_CHAIN;

    private DnsCaptureRules() {
    }

    /**
     * Adds the nat rules to {@code l}, the lines of a nat table of {@code iptables-restore} (starting
     * with {@code *nat} and its chain declarations, not yet committed): the chain's declaration after
     * the others, its jump, the proxy's returns and the redirect.
     *
     * @param owners the proxy's owner matches, e.g. {@code --gid-owner 1337}
     */
    static void nat(List<String> l, int port, List<String> owners) {
        int declarations = 1;
        while (declarations < l.size() && l.get(declarations).startsWith(":")) {
            declarations++;
        }
        l.add(declarations, ":" + OUTPUT_CHAIN + " - [0:0]");
        l.add("-A " + NAT_JUMP);
        for (String owner : owners) {
            l.add("-A " + OUTPUT_CHAIN + " -m owner " + owner + " -j RETURN");
        }
        l.add("-A " + OUTPUT_CHAIN + " -p udp --dport " + DNS_PORT + " -j REDIRECT --to-ports " + port);
    }

    /** The raw table of {@code iptables-restore}, committed: the conntrack zones for DNS capture port {@code port}. */
    static String raw(int port, List<String> owners) {
        List<String> l = new ArrayList<>();
        l.add("*raw");
        l.add(":" + OUTPUT_CHAIN + " - [0:0]");
        l.add(":" + PREROUTING_CHAIN + " - [0:0]");
        l.add("-A " + RAW_JUMP_OUTPUT);
        l.add("-A " + RAW_JUMP_PREROUTING);
        for (String owner : owners) {
            l.add("-A " + OUTPUT_CHAIN + " -p udp --dport " + DNS_PORT + " -m owner " + owner + " -j CT --zone " + ZONE_UPSTREAM);
            l.add("-A " + OUTPUT_CHAIN + " -p udp --sport " + port + " -m owner " + owner + " -j CT --zone " + ZONE_APP);
        }
        l.add("-A " + OUTPUT_CHAIN + " -p udp --dport " + DNS_PORT + " -j CT --zone " + ZONE_APP);
        l.add("-A " + PREROUTING_CHAIN + " -p udp --sport " + DNS_PORT + " -j CT --zone " + ZONE_UPSTREAM);
        l.add("COMMIT");
        return String.join("\n", l) + "\n";
    }

    /** The arguments (after the command) that remove DNS capture: the jump and chain in nat, then the jumps and chains in raw. */
    static List<String> clean() {
        List<String> out = new ArrayList<>(List.of("-t nat -D " + NAT_JUMP, "-t nat -F " + OUTPUT_CHAIN, "-t nat -X " + OUTPUT_CHAIN,
                "-t raw -D " + RAW_JUMP_OUTPUT, "-t raw -D " + RAW_JUMP_PREROUTING));
        for (String op : List.of("-F", "-X")) {
            out.add("-t raw " + op + " " + OUTPUT_CHAIN);
            out.add("-t raw " + op + " " + PREROUTING_CHAIN);
        }
        return out;
    }
}
