package io.isthmus.sidecar.capture;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The capture of one network namespace's TCP, as Istio's {@code istio-iptables} sets it up, in one of
 * two modes. REDIRECT (Istio's default, nat table): inbound TCP is redirected to the inbound capture
 * port in PREROUTING, locally generated TCP to the included ranges to the outbound capture port in
 * OUTPUT, except the proxy's own (by uid/gid: its connections over {@code lo} to the pod's own
 * addresses are sent to the inbound port instead, so an app calling itself through a service passes
 * both sides of the proxy), the inbound passthrough's ({@code 127.0.0.6} on {@code lo}) and
 * {@code 127.0.0.1}'s. TPROXY (mangle table), with outbound traffic also captured by TPROXY:
 * inbound TCP arriving on any interface but {@code lo} goes to the inbound capture port; locally
 * generated TCP to the included ranges is marked in mangle OUTPUT, policy-routed to {@code lo} (rule
 * {@code fwmark -> table}, a {@code local 0.0.0.0/0} route in that table) and taken by TPROXY to the
 * outbound capture port in PREROUTING. Only chains named {@code ISTHMUS_*} and the jumps into them
 * are added, so {@link #cleanIptables()} removes exactly what {@link #iptablesRestoreInput()} added,
 * whichever the mode. With DNS capture (Istio's {@code --redirect-dns}, in either mode) the app's UDP
 * queries to port 53, whatever their destination, are redirected in the nat table to the proxy's DNS
 * proxy on the DNS capture port (the proxy's own queries excluded by uid/gid), and conntrack zones
 * in the raw table keep the app's DNS flows (zone 2) apart from the proxy's upstream ones (zone 1).
 *
 * @param mode REDIRECT (nat table) or TPROXY (mangle table and policy routing)
 * @param inboundPort the inbound capture port (virtualInbound, 15006)
 * @param outboundPort the outbound capture port (virtualOutbound, 15001)
 * @param mark the packet mark of captured traffic (Istio's 1337; TPROXY only)
 * @param routeTable the policy-routing table that delivers marked packets locally (Istio's 133; TPROXY only)
 * @param excludeInboundPorts destination ports never captured inbound (the proxy's own ports first)
 * @param proxyGid traffic of this group is never captured outbound (the proxy's own)
 * @param proxyUid traffic of this user is never captured outbound (the proxy's own)
 * @param includeOutboundRanges CIDRs captured outbound, IPv4 and IPv6; {@code *} for everything (both families)
 * @param excludeOutboundRanges CIDRs never captured outbound, IPv4 and IPv6
 * @param captureInbound whether inbound traffic is captured at all
 * @param dnsCapturePort where the app's UDP DNS queries are redirected (the DNS proxy's port, Istio's 15053);
 *                       empty = DNS is not captured
 */
public record CaptureRules(CaptureMode mode, int inboundPort, int outboundPort, int mark, int routeTable, List<Integer> excludeInboundPorts,
                           OptionalInt proxyGid, OptionalInt proxyUid, List<String> includeOutboundRanges,
                           List<String> excludeOutboundRanges, boolean captureInbound, OptionalInt dnsCapturePort) {

    /** The proxy's own ports, never captured inbound: admin, outbound and inbound capture, agent, health, metrics. */
    public static final List<Integer> PROXY_PORTS = List.of(15000, 15001, 15006, 15020, 15021, 15090);
    /** Prefix of every chain this capture adds. */
    public static final String CHAIN_PREFIX = "ISTHMUS_";

    /** Istio's source address of inbound passthrough connections, never captured. */
    public static final String INBOUND_PASSTHROUGH_SOURCE = "127.0.0.6";
    /** Istio's IPv6 source address of inbound passthrough connections, added to {@code lo} for IPv6 capture. */
    public static final String INBOUND_PASSTHROUGH_SOURCE_IPV6 = "::6";

    private static final List<String> CHAINS = List.of("ISTHMUS_PREROUTING", "ISTHMUS_INBOUND", "ISTHMUS_OUTPUT", "ISTHMUS_DIVERT");
    private static final String JUMP_PREROUTING = "PREROUTING -p tcp -j ISTHMUS_PREROUTING";
    private static final String JUMP_OUTPUT = "OUTPUT -p tcp -j ISTHMUS_OUTPUT";
    private static final List<String> NAT_CHAINS = List.of("ISTHMUS_INBOUND", "ISTHMUS_IN_REDIRECT", "ISTHMUS_OUTPUT", "ISTHMUS_REDIRECT");
    private static final String NAT_JUMP_PREROUTING = "PREROUTING -p tcp -j ISTHMUS_INBOUND";
    private static final String NAT_JUMP_OUTPUT = "OUTPUT -p tcp -j ISTHMUS_OUTPUT";

    public CaptureRules {
        Objects.requireNonNull(mode, "mode");
        port(inboundPort, "inboundPort");
        port(outboundPort, "outboundPort");
        if (mark <= 0) {
            throw new IllegalArgumentException("mark must be positive, got " + mark);
        }
        if (routeTable <= 0 || routeTable >= 253) {
            throw new IllegalArgumentException("routeTable must be 1..252, got " + routeTable);
        }
        Set<Integer> ports = new LinkedHashSet<>(PROXY_PORTS);
        for (int p : excludeInboundPorts) {
            ports.add(port(p, "excludeInboundPorts"));
        }
        excludeInboundPorts = List.copyOf(ports);
        Objects.requireNonNull(proxyGid, "proxyGid");
        Objects.requireNonNull(proxyUid, "proxyUid");
        includeOutboundRanges = cidrs(includeOutboundRanges, "includeOutboundRanges");
        excludeOutboundRanges = cidrs(excludeOutboundRanges, "excludeOutboundRanges");
        if (proxyGid.isEmpty() && proxyUid.isEmpty()
                && (includeOutboundRanges.contains(Family.IPV4.all) || includeOutboundRanges.contains(Family.IPV6.all))) {
            throw new IllegalArgumentException("capturing all outbound traffic needs a proxy gid or uid to exclude, "
                    + "or the proxy's own connections would be captured again");
        }
        Objects.requireNonNull(dnsCapturePort, "dnsCapturePort");
        if (dnsCapturePort.isPresent()) {
            port(dnsCapturePort.getAsInt(), "dnsCapturePort");
            if (proxyGid.isEmpty() && proxyUid.isEmpty()) {
                throw new IllegalArgumentException("redirectDns: capturing DNS needs a proxy gid or uid to exclude, "
                        + "or the DNS proxy's own queries to its upstream would be captured again");
            }
        }
    }

    /** The rules without DNS capture. */
    public CaptureRules(CaptureMode mode, int inboundPort, int outboundPort, int mark, int routeTable, List<Integer> excludeInboundPorts,
                        OptionalInt proxyGid, OptionalInt proxyUid, List<String> includeOutboundRanges,
                        List<String> excludeOutboundRanges, boolean captureInbound) {
        this(mode, inboundPort, outboundPort, mark, routeTable, excludeInboundPorts, proxyGid, proxyUid, includeOutboundRanges,
                excludeOutboundRanges, captureInbound, OptionalInt.empty());
    }

    /** These rules with the app's UDP DNS also captured, to the DNS proxy on {@code port} (Istio's 15053). */
    public CaptureRules withDnsCapture(int port) {
        return new CaptureRules(mode, inboundPort, outboundPort, mark, routeTable, excludeInboundPorts, proxyGid, proxyUid,
                includeOutboundRanges, excludeOutboundRanges, captureInbound, OptionalInt.of(port));
    }

    /** Istio's defaults in a mode: proxy group 1337, every outbound destination, every inbound port but the proxy's. */
    public static CaptureRules defaults(CaptureMode mode) {
        return new CaptureRules(mode, 15006, 15001, 1337, 133, List.of(), OptionalInt.of(1337), OptionalInt.empty(),
                List.of("*"), List.of(), true);
    }

    /** The input of {@code iptables-restore --noflush} that adds the capture (nat table for REDIRECT, mangle for TPROXY). */
    public String iptablesRestoreInput() {
        return restoreInput(Family.IPV4);
    }

    /**
     * The input of {@code ip6tables-restore --noflush} that adds the same capture for IPv6 (dual
     * stack): the same chains, with {@code ::1} for loopback, {@code ::6} for the inbound passthrough
     * and the IPv6 ones of the ranges ({@code *} covers both families).
     */
    public String ip6tablesRestoreInput() {
        return restoreInput(Family.IPV6);
    }

    /** A family's restore input: the mode's tables, then, with DNS capture, its nat rules (TPROXY) and raw zones. */
    private String restoreInput(Family f) {
        if (mode == CaptureMode.REDIRECT) {
            return redirect(f) + dnsZones();
        }
        if (dnsCapturePort.isEmpty()) {
            return tproxy(f);
        }
        List<String> nat = new ArrayList<>();
        nat.add("*nat");
        dnsRedirect(nat);
        nat.add("COMMIT");
        return tproxy(f) + String.join("\n", nat) + "\n" + dnsZones();
    }

    /** DNS capture's nat rules ({@link DnsCaptureRules#nat}) added to the nat table's lines {@code l}, if DNS is captured. */
    private void dnsRedirect(List<String> l) {
        dnsCapturePort.ifPresent(port -> DnsCaptureRules.nat(l, port, owners()));
    }

    /** DNS capture's raw table ({@link DnsCaptureRules#raw}), empty without DNS capture. */
    private String dnsZones() {
        return dnsCapturePort.isEmpty() ? "" : DnsCaptureRules.raw(dnsCapturePort.getAsInt(), owners());
    }

    /** The proxy's owner matches, uid first: {@code --uid-owner U}, {@code --gid-owner G}. */
    private List<String> owners() {
        List<String> owners = new ArrayList<>();
        proxyUid.ifPresent(u -> owners.add("--uid-owner " + u));
        proxyGid.ifPresent(g -> owners.add("--gid-owner " + g));
        return owners;
    }

    /** An address family's spelling of the addresses the rules name. */
    private enum Family {
        IPV4("0.0.0.0/0", "127.0.0.1/32", "127.0.0.0/8", INBOUND_PASSTHROUGH_SOURCE + "/32", "0.0.0.0", "-4"),
        IPV6("::/0", "::1/128", "::1/128", INBOUND_PASSTHROUGH_SOURCE_IPV6 + "/128", "::", "-6");

        final String all;
        final String loopbackHost;
        final String loopbackNet;
        final String passthroughSource;
        final String any;
        final String ipFlag;

        Family(String all, String loopbackHost, String loopbackNet, String passthroughSource, String any, String ipFlag) {
            this.all = all;
            this.loopbackHost = loopbackHost;
            this.loopbackNet = loopbackNet;
            this.passthroughSource = passthroughSource;
            this.any = any;
            this.ipFlag = ipFlag;
        }

        boolean holds(String cidr) {
            return (cidr.indexOf(':') >= 0) == (this == IPV6);
        }
    }

    /**
     * Istio's REDIRECT rules ({@code istio-iptables -m REDIRECT}) in the nat table, chains named
     * {@code ISTHMUS_*} instead of {@code ISTIO_*}; only TCP enters them, and UDP to port 53 the DNS
     * chain when DNS is captured.
     */
    private String redirect(Family f) {
        List<String> l = new ArrayList<>();
        l.add("*nat");
        NAT_CHAINS.forEach(c -> l.add(":" + c + " - [0:0]"));
        l.add("-A ISTHMUS_REDIRECT -p tcp -j REDIRECT --to-ports " + outboundPort);
        l.add("-A ISTHMUS_IN_REDIRECT -p tcp -j REDIRECT --to-ports " + inboundPort);
        if (captureInbound) {
            l.add("-A " + NAT_JUMP_PREROUTING);
            for (int p : excludeInboundPorts) {
                l.add("-A ISTHMUS_INBOUND -p tcp --dport " + p + " -j RETURN");
            }
            l.add("-A ISTHMUS_INBOUND -p tcp -j ISTHMUS_IN_REDIRECT");
        }
        l.add("-A " + NAT_JUMP_OUTPUT);
        // the inbound passthrough's connections to the pod's own addresses
        l.add("-A ISTHMUS_OUTPUT -o lo -s " + f.passthroughSource + " -j RETURN");
        for (String owner : owners()) {
            // the proxy calling the pod's own address (an app calling itself through a service): inbound side next
            l.add("-A ISTHMUS_OUTPUT -o lo ! -d " + f.loopbackHost + " -p tcp -m owner " + owner + " -j ISTHMUS_IN_REDIRECT");
            // the app calling itself over lo by its own address: not captured
            l.add("-A ISTHMUS_OUTPUT -o lo -m owner ! " + owner + " -j RETURN");
            // the proxy's own connections: never captured again
            l.add("-A ISTHMUS_OUTPUT -m owner " + owner + " -j RETURN");
        }
        l.add("-A ISTHMUS_OUTPUT -d " + f.loopbackHost + " -j RETURN");
        outboundRanges(l, f, "-j ISTHMUS_REDIRECT");
        dnsRedirect(l);
        l.add("COMMIT");
        return String.join("\n", l) + "\n";
    }

    /** The excluded ranges of a family ({@code RETURN}), then its included ones (or everything) to {@code target}. */
    private void outboundRanges(List<String> l, Family f, String target) {
        for (String r : excludeOutboundRanges) {
            if (f.holds(r)) {
                l.add("-A ISTHMUS_OUTPUT -d " + r + " -j RETURN");
            }
        }
        for (String r : includeOutboundRanges) {
            if (f.holds(r)) {
                l.add("-A ISTHMUS_OUTPUT " + (r.equals(f.all) ? "" : "-d " + r + " ") + target);
            }
        }
    }

    /** The TPROXY rules (mangle table). */
    private String tproxy(Family f) {
        String mk = String.format("0x%x/0xffffffff", mark);
        List<String> l = new ArrayList<>();
        l.add("*mangle");
        CHAINS.forEach(c -> l.add(":" + c + " - [0:0]"));
        l.add("-A " + JUMP_PREROUTING);
        l.add("-A " + JUMP_OUTPUT);
        l.add("-A ISTHMUS_DIVERT -j MARK --set-xmark " + mk);
        l.add("-A ISTHMUS_DIVERT -j ACCEPT");
        // packets of connections the proxy already holds on a transparent socket are delivered locally
        l.add("-A ISTHMUS_PREROUTING -p tcp -m socket --transparent -j ISTHMUS_DIVERT");
        // outbound traffic marked in OUTPUT comes back in on lo: hand it to the outbound capture port
        l.add("-A ISTHMUS_PREROUTING -i lo -p tcp -m mark --mark " + mk + " -j TPROXY --on-port " + outboundPort
                + " --on-ip " + f.any + " --tproxy-mark " + mk);
        l.add("-A ISTHMUS_PREROUTING -i lo -j RETURN");
        if (captureInbound) {
            l.add("-A ISTHMUS_PREROUTING -p tcp -j ISTHMUS_INBOUND");
            for (int p : excludeInboundPorts) {
                l.add("-A ISTHMUS_INBOUND -p tcp --dport " + p + " -j RETURN");
            }
            // replies to the pod's own connections (TPROXY would drop them: their socket is not transparent)
            l.add("-A ISTHMUS_INBOUND -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ISTHMUS_DIVERT");
            l.add("-A ISTHMUS_INBOUND -p tcp -j TPROXY --on-port " + inboundPort + " --on-ip " + f.any + " --tproxy-mark " + mk);
        }
        l.add("-A ISTHMUS_OUTPUT -o lo -j RETURN");
        // the pod's side of connections others opened (inbound, captured or not): never outbound
        // traffic, and an ACK or RST sent before the proxy accepts (or after it closed) has no owner
        l.add("-A ISTHMUS_OUTPUT -p tcp -m conntrack --ctdir REPLY -j RETURN");
        l.add("-A ISTHMUS_OUTPUT -d " + f.loopbackNet + " -j RETURN");
        proxyUid.ifPresent(u -> l.add("-A ISTHMUS_OUTPUT -m owner --uid-owner " + u + " -j RETURN"));
        proxyGid.ifPresent(g -> l.add("-A ISTHMUS_OUTPUT -m owner --gid-owner " + g + " -j RETURN"));
        outboundRanges(l, f, "-j MARK --set-xmark " + mk);
        l.add("COMMIT");
        return String.join("\n", l) + "\n";
    }

    /** The policy routing that delivers marked packets to the local sockets, as {@code ip} argument lists (none for REDIRECT). */
    public List<List<String>> ipAdd() {
        return mode == CaptureMode.REDIRECT ? List.of() : policyRouting(Family.IPV4, "add");
    }

    /** The {@code ip} commands that undo the TPROXY policy routing (whichever the mode, so a clean run removes either). */
    public List<List<String>> ipDelete() {
        return policyRouting(Family.IPV4, "del");
    }

    /**
     * The {@code ip} commands of IPv6 capture: Istio's inbound passthrough source {@code ::6} on
     * {@code lo} (IPv6 loopback is {@code ::1/128} only, so the proxy could not bind it otherwise),
     * and, for TPROXY, the IPv6 policy routing.
     */
    public List<List<String>> ip6Add() {
        List<List<String>> out = new ArrayList<>();
        out.add(List.of("ip", "-6", "addr", "add", INBOUND_PASSTHROUGH_SOURCE_IPV6 + "/128", "dev", "lo"));
        if (mode == CaptureMode.TPROXY) {
            out.addAll(policyRouting(Family.IPV6, "add"));
        }
        return out;
    }

    /** The {@code ip} commands that undo {@link #ip6Add()} of either mode. */
    public List<List<String>> ip6Delete() {
        List<List<String>> out = new ArrayList<>(policyRouting(Family.IPV6, "del"));
        out.add(List.of("ip", "-6", "addr", "del", INBOUND_PASSTHROUGH_SOURCE_IPV6 + "/128", "dev", "lo"));
        return out;
    }

    private List<List<String>> policyRouting(Family f, String verb) {
        return List.of(
                List.of("ip", f.ipFlag, "rule", verb, "fwmark", String.format("0x%x", mark), "lookup", String.valueOf(routeTable)),
                List.of("ip", f.ipFlag, "route", verb, "local", f.all, "dev", "lo", "table", String.valueOf(routeTable)));
    }

    /**
     * The {@code iptables} argument lists that remove the capture of either mode: per table (mangle
     * for TPROXY, nat for REDIRECT) the two jumps, then the chains' rules, then the chains; then DNS
     * capture's jump and chain in nat and its jumps and chains in raw.
     */
    public static List<List<String>> cleanIptables() {
        return clean("iptables");
    }

    /** The {@code ip6tables} argument lists that remove the IPv6 capture of either mode. */
    public static List<List<String>> cleanIp6tables() {
        return clean("ip6tables");
    }

    private static List<List<String>> clean(String command) {
        List<List<String>> out = new ArrayList<>();
        out.add(args("-t mangle -D " + JUMP_PREROUTING));
        out.add(args("-t mangle -D " + JUMP_OUTPUT));
        CHAINS.forEach(c -> out.add(args("-t mangle -F " + c)));
        CHAINS.forEach(c -> out.add(args("-t mangle -X " + c)));
        out.add(args("-t nat -D " + NAT_JUMP_PREROUTING));
        out.add(args("-t nat -D " + NAT_JUMP_OUTPUT));
        NAT_CHAINS.forEach(c -> out.add(args("-t nat -F " + c)));
        NAT_CHAINS.forEach(c -> out.add(args("-t nat -X " + c)));
        DnsCaptureRules.clean().forEach(c -> out.add(args(c)));
        out.forEach(c -> c.set(0, command));
        return out;
    }

    private static List<String> args(String s) {
        List<String> out = new ArrayList<>();
        out.add("iptables");
        out.addAll(List.of(s.split(" ")));
        return out;
    }

    private static int port(int p, String field) {
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException(field + ": port must be 1..65535, got " + p);
        }
        return p;
    }

    private static List<String> cidrs(List<String> in, String field) {
        List<String> out = new ArrayList<>();
        for (String raw : in) {
            String c = raw.trim();
            if (c.equals("*")) {
                out.add(Family.IPV4.all);
                out.add(Family.IPV6.all);
            } else if (!c.isEmpty()) {
                out.add(Cidrs.canonical(c, field));
            }
        }
        return List.copyOf(new LinkedHashSet<>(out));
    }
}
