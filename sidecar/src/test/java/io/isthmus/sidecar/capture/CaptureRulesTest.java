package io.isthmus.sidecar.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class CaptureRulesTest {

    @Test
    void redirectDefaultsAreIstiosNatRules() {
        assertThat(CaptureRules.defaults(CaptureMode.REDIRECT).iptablesRestoreInput()).isEqualTo("""
                *nat
                :ISTHMUS_INBOUND - [0:0]
                :ISTHMUS_IN_REDIRECT - [0:0]
                :ISTHMUS_OUTPUT - [0:0]
                :ISTHMUS_REDIRECT - [0:0]
                -A ISTHMUS_REDIRECT -p tcp -j REDIRECT --to-ports 15001
                -A ISTHMUS_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006
                -A PREROUTING -p tcp -j ISTHMUS_INBOUND
                -A ISTHMUS_INBOUND -p tcp --dport 15000 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15001 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15006 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15020 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15021 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15090 -j RETURN
                -A ISTHMUS_INBOUND -p tcp -j ISTHMUS_IN_REDIRECT
                -A OUTPUT -p tcp -j ISTHMUS_OUTPUT
                -A ISTHMUS_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN
                -A ISTHMUS_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp -m owner --gid-owner 1337 -j ISTHMUS_IN_REDIRECT
                -A ISTHMUS_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN
                -A ISTHMUS_OUTPUT -m owner --gid-owner 1337 -j RETURN
                -A ISTHMUS_OUTPUT -d 127.0.0.1/32 -j RETURN
                -A ISTHMUS_OUTPUT -j ISTHMUS_REDIRECT
                COMMIT
                """);
        assertThat(CaptureRules.defaults(CaptureMode.REDIRECT).ipAdd()).as("REDIRECT needs no policy routing").isEmpty();
    }

    @Test
    void ipv6UsesTheSameChainsWithIpv6AddressesAndItsOwnRanges() {
        CaptureRules r = new CaptureRules(CaptureMode.REDIRECT, 15006, 15001, 1337, 133, List.of(), OptionalInt.of(1337),
                OptionalInt.empty(), List.of("10.96.0.0/12", "FD00:96::/112"), List.of("fd00:96::1", "10.96.0.1"), true);
        assertThat(r.ip6tablesRestoreInput().lines().filter(l -> l.startsWith("-A ISTHMUS_OUTPUT")).toList()).containsExactly(
                "-A ISTHMUS_OUTPUT -o lo -s ::6/128 -j RETURN",
                "-A ISTHMUS_OUTPUT -o lo ! -d ::1/128 -p tcp -m owner --gid-owner 1337 -j ISTHMUS_IN_REDIRECT",
                "-A ISTHMUS_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN",
                "-A ISTHMUS_OUTPUT -m owner --gid-owner 1337 -j RETURN",
                "-A ISTHMUS_OUTPUT -d ::1/128 -j RETURN",
                "-A ISTHMUS_OUTPUT -d fd00:96::1/128 -j RETURN",
                "-A ISTHMUS_OUTPUT -d fd00:96::/112 -j ISTHMUS_REDIRECT");
        assertThat(r.iptablesRestoreInput()).as("IPv4 rules name only IPv4 ranges").doesNotContain("fd00");
        assertThat(r.ip6Add()).containsExactly(List.of("ip", "-6", "addr", "add", "::6/128", "dev", "lo"));

        CaptureRules t = CaptureRules.defaults(CaptureMode.TPROXY);
        assertThat(t.ip6tablesRestoreInput()).contains(
                "-A ISTHMUS_PREROUTING -i lo -p tcp -m mark --mark 0x539/0xffffffff -j TPROXY --on-port 15001 --on-ip :: --tproxy-mark 0x539/0xffffffff\n",
                "-A ISTHMUS_INBOUND -p tcp -j TPROXY --on-port 15006 --on-ip :: --tproxy-mark 0x539/0xffffffff\n",
                "-A ISTHMUS_OUTPUT -d ::1/128 -j RETURN\n",
                "-A ISTHMUS_OUTPUT -j MARK --set-xmark 0x539/0xffffffff\n");
        assertThat(t.ip6Add()).containsExactly(List.of("ip", "-6", "addr", "add", "::6/128", "dev", "lo"),
                List.of("ip", "-6", "rule", "add", "fwmark", "0x539", "lookup", "133"),
                List.of("ip", "-6", "route", "add", "local", "::/0", "dev", "lo", "table", "133"));
        assertThat(t.ip6Delete()).contains(List.of("ip", "-6", "addr", "del", "::6/128", "dev", "lo"));
        assertThat(CaptureRules.cleanIp6tables()).allMatch(c -> c.get(0).equals("ip6tables")).hasSize(CaptureRules.cleanIptables().size());
    }

    @Test
    void redirectRangesOwnersAndNoInbound() {
        CaptureRules r = new CaptureRules(CaptureMode.REDIRECT, 15006, 15001, 1337, 133, List.of(8081), OptionalInt.of(1337),
                OptionalInt.of(1001), List.of("10.96.0.0/12"), List.of("10.96.0.1"), false);
        String in = r.iptablesRestoreInput();
        assertThat(in).doesNotContain("-j ISTHMUS_INBOUND").doesNotContain("-A ISTHMUS_INBOUND");
        assertThat(in.lines().filter(l -> l.startsWith("-A ISTHMUS_OUTPUT")).toList()).containsExactly(
                "-A ISTHMUS_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN",
                "-A ISTHMUS_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp -m owner --uid-owner 1001 -j ISTHMUS_IN_REDIRECT",
                "-A ISTHMUS_OUTPUT -o lo -m owner ! --uid-owner 1001 -j RETURN",
                "-A ISTHMUS_OUTPUT -m owner --uid-owner 1001 -j RETURN",
                "-A ISTHMUS_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp -m owner --gid-owner 1337 -j ISTHMUS_IN_REDIRECT",
                "-A ISTHMUS_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN",
                "-A ISTHMUS_OUTPUT -m owner --gid-owner 1337 -j RETURN",
                "-A ISTHMUS_OUTPUT -d 127.0.0.1/32 -j RETURN",
                "-A ISTHMUS_OUTPUT -d 10.96.0.1/32 -j RETURN",
                "-A ISTHMUS_OUTPUT -d 10.96.0.0/12 -j ISTHMUS_REDIRECT");
        assertThatThrownBy(() -> new CaptureRules(CaptureMode.REDIRECT, 15006, 15001, 1337, 133, List.of(), OptionalInt.empty(),
                OptionalInt.empty(), List.of("*"), List.of(), true)).hasMessageContaining("needs a proxy gid or uid");
    }

    @Test
    void defaultsCaptureEverythingButTheProxysGroup() {
        assertThat(CaptureRules.defaults(CaptureMode.TPROXY).iptablesRestoreInput()).isEqualTo("""
                *mangle
                :ISTHMUS_PREROUTING - [0:0]
                :ISTHMUS_INBOUND - [0:0]
                :ISTHMUS_OUTPUT - [0:0]
                :ISTHMUS_DIVERT - [0:0]
                -A PREROUTING -p tcp -j ISTHMUS_PREROUTING
                -A OUTPUT -p tcp -j ISTHMUS_OUTPUT
                -A ISTHMUS_DIVERT -j MARK --set-xmark 0x539/0xffffffff
                -A ISTHMUS_DIVERT -j ACCEPT
                -A ISTHMUS_PREROUTING -p tcp -m socket --transparent -j ISTHMUS_DIVERT
                -A ISTHMUS_PREROUTING -i lo -p tcp -m mark --mark 0x539/0xffffffff -j TPROXY --on-port 15001 --on-ip 0.0.0.0 --tproxy-mark 0x539/0xffffffff
                -A ISTHMUS_PREROUTING -i lo -j RETURN
                -A ISTHMUS_PREROUTING -p tcp -j ISTHMUS_INBOUND
                -A ISTHMUS_INBOUND -p tcp --dport 15000 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15001 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15006 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15020 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15021 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15090 -j RETURN
                -A ISTHMUS_INBOUND -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ISTHMUS_DIVERT
                -A ISTHMUS_INBOUND -p tcp -j TPROXY --on-port 15006 --on-ip 0.0.0.0 --tproxy-mark 0x539/0xffffffff
                -A ISTHMUS_OUTPUT -o lo -j RETURN
                -A ISTHMUS_OUTPUT -p tcp -m conntrack --ctdir REPLY -j RETURN
                -A ISTHMUS_OUTPUT -d 127.0.0.0/8 -j RETURN
                -A ISTHMUS_OUTPUT -m owner --gid-owner 1337 -j RETURN
                -A ISTHMUS_OUTPUT -j MARK --set-xmark 0x539/0xffffffff
                COMMIT
                """);
        assertThat(CaptureRules.defaults(CaptureMode.TPROXY).ipAdd()).containsExactly(
                List.of("ip", "-4", "rule", "add", "fwmark", "0x539", "lookup", "133"),
                List.of("ip", "-4", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "133"));
    }

    @Test
    void includeAndExcludeRangesAndPorts() {
        CaptureRules r = new CaptureRules(CaptureMode.TPROXY, 15006, 15001, 1337, 133, List.of(8081, 15000), OptionalInt.empty(), OptionalInt.of(1001),
                List.of("10.96.0.0/12", " 10.100.0.1"), List.of("10.96.0.1/32"), true);
        String in = r.iptablesRestoreInput();
        assertThat(in.lines().filter(l -> l.startsWith("-A ISTHMUS_INBOUND")).toList()).containsExactly(
                "-A ISTHMUS_INBOUND -p tcp --dport 15000 -j RETURN",
                "-A ISTHMUS_INBOUND -p tcp --dport 15001 -j RETURN",
                "-A ISTHMUS_INBOUND -p tcp --dport 15006 -j RETURN",
                "-A ISTHMUS_INBOUND -p tcp --dport 15020 -j RETURN",
                "-A ISTHMUS_INBOUND -p tcp --dport 15021 -j RETURN",
                "-A ISTHMUS_INBOUND -p tcp --dport 15090 -j RETURN",
                "-A ISTHMUS_INBOUND -p tcp --dport 8081 -j RETURN",
                "-A ISTHMUS_INBOUND -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ISTHMUS_DIVERT",
                "-A ISTHMUS_INBOUND -p tcp -j TPROXY --on-port 15006 --on-ip 0.0.0.0 --tproxy-mark 0x539/0xffffffff");
        assertThat(in.lines().filter(l -> l.startsWith("-A ISTHMUS_OUTPUT")).toList()).containsExactly(
                "-A ISTHMUS_OUTPUT -o lo -j RETURN",
                "-A ISTHMUS_OUTPUT -p tcp -m conntrack --ctdir REPLY -j RETURN",
                "-A ISTHMUS_OUTPUT -d 127.0.0.0/8 -j RETURN",
                "-A ISTHMUS_OUTPUT -m owner --uid-owner 1001 -j RETURN",
                "-A ISTHMUS_OUTPUT -d 10.96.0.1/32 -j RETURN",
                "-A ISTHMUS_OUTPUT -d 10.96.0.0/12 -j MARK --set-xmark 0x539/0xffffffff",
                "-A ISTHMUS_OUTPUT -d 10.100.0.1/32 -j MARK --set-xmark 0x539/0xffffffff");
    }

    @Test
    void noInboundCaptureLeavesTheInboundChainEmpty() {
        CaptureRules r = new CaptureRules(CaptureMode.TPROXY, 15006, 15001, 1337, 133, List.of(), OptionalInt.of(1337), OptionalInt.empty(),
                List.of("*"), List.of(), false);
        assertThat(r.iptablesRestoreInput()).doesNotContain("-A ISTHMUS_INBOUND").doesNotContain("-j ISTHMUS_INBOUND")
                .contains("-A ISTHMUS_OUTPUT -j MARK --set-xmark 0x539/0xffffffff");
    }

    @Test
    void cleanRemovesTheJumpsThenTheChains() {
        assertThat(CaptureRules.cleanIptables().stream().map(c -> String.join(" ", c)).toList()).containsExactly(
                "iptables -t mangle -D PREROUTING -p tcp -j ISTHMUS_PREROUTING",
                "iptables -t mangle -D OUTPUT -p tcp -j ISTHMUS_OUTPUT",
                "iptables -t mangle -F ISTHMUS_PREROUTING",
                "iptables -t mangle -F ISTHMUS_INBOUND",
                "iptables -t mangle -F ISTHMUS_OUTPUT",
                "iptables -t mangle -F ISTHMUS_DIVERT",
                "iptables -t mangle -X ISTHMUS_PREROUTING",
                "iptables -t mangle -X ISTHMUS_INBOUND",
                "iptables -t mangle -X ISTHMUS_OUTPUT",
                "iptables -t mangle -X ISTHMUS_DIVERT",
                "iptables -t nat -D PREROUTING -p tcp -j ISTHMUS_INBOUND",
                "iptables -t nat -D OUTPUT -p tcp -j ISTHMUS_OUTPUT",
                "iptables -t nat -F ISTHMUS_INBOUND",
                "iptables -t nat -F ISTHMUS_IN_REDIRECT",
                "iptables -t nat -F ISTHMUS_OUTPUT",
                "iptables -t nat -F ISTHMUS_REDIRECT",
                "iptables -t nat -X ISTHMUS_INBOUND",
                "iptables -t nat -X ISTHMUS_IN_REDIRECT",
                "iptables -t nat -X ISTHMUS_OUTPUT",
                "iptables -t nat -X ISTHMUS_REDIRECT",
                "iptables -t nat -D OUTPUT -p udp --dport 53 -j ISTHMUS_OUTPUT_DNS",
                "iptables -t nat -F ISTHMUS_OUTPUT_DNS",
                "iptables -t nat -X ISTHMUS_OUTPUT_DNS",
                "iptables -t raw -D OUTPUT -p udp -j ISTHMUS_OUTPUT_DNS",
                "iptables -t raw -D PREROUTING -p udp -j ISTHMUS_PREROUTING_DNS",
                "iptables -t raw -F ISTHMUS_OUTPUT_DNS",
                "iptables -t raw -F ISTHMUS_PREROUTING_DNS",
                "iptables -t raw -X ISTHMUS_OUTPUT_DNS",
                "iptables -t raw -X ISTHMUS_PREROUTING_DNS");
        assertThat(CaptureRules.defaults(CaptureMode.TPROXY).ipDelete()).containsExactly(
                List.of("ip", "-4", "rule", "del", "fwmark", "0x539", "lookup", "133"),
                List.of("ip", "-4", "route", "del", "local", "0.0.0.0/0", "dev", "lo", "table", "133"));
    }

    @Test
    void redirectWithDnsCaptureAddsTheDnsChainAndTheConntrackZones() {
        assertThat(CaptureRules.defaults(CaptureMode.REDIRECT).withDnsCapture(15053).iptablesRestoreInput()).isEqualTo("""
                *nat
                :ISTHMUS_INBOUND - [0:0]
                :ISTHMUS_IN_REDIRECT - [0:0]
                :ISTHMUS_OUTPUT - [0:0]
                :ISTHMUS_REDIRECT - [0:0]
                :ISTHMUS_OUTPUT_DNS - [0:0]
                -A ISTHMUS_REDIRECT -p tcp -j REDIRECT --to-ports 15001
                -A ISTHMUS_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006
                -A PREROUTING -p tcp -j ISTHMUS_INBOUND
                -A ISTHMUS_INBOUND -p tcp --dport 15000 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15001 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15006 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15020 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15021 -j RETURN
                -A ISTHMUS_INBOUND -p tcp --dport 15090 -j RETURN
                -A ISTHMUS_INBOUND -p tcp -j ISTHMUS_IN_REDIRECT
                -A OUTPUT -p tcp -j ISTHMUS_OUTPUT
                -A ISTHMUS_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN
                -A ISTHMUS_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp -m owner --gid-owner 1337 -j ISTHMUS_IN_REDIRECT
                -A ISTHMUS_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN
                -A ISTHMUS_OUTPUT -m owner --gid-owner 1337 -j RETURN
                -A ISTHMUS_OUTPUT -d 127.0.0.1/32 -j RETURN
                -A ISTHMUS_OUTPUT -j ISTHMUS_REDIRECT
                -A OUTPUT -p udp --dport 53 -j ISTHMUS_OUTPUT_DNS
                -A ISTHMUS_OUTPUT_DNS -m owner --gid-owner 1337 -j RETURN
                -A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -j REDIRECT --to-ports 15053
                COMMIT
                *raw
                :ISTHMUS_OUTPUT_DNS - [0:0]
                :ISTHMUS_PREROUTING_DNS - [0:0]
                -A OUTPUT -p udp -j ISTHMUS_OUTPUT_DNS
                -A PREROUTING -p udp -j ISTHMUS_PREROUTING_DNS
                -A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -m owner --gid-owner 1337 -j CT --zone 1
                -A ISTHMUS_OUTPUT_DNS -p udp --sport 15053 -m owner --gid-owner 1337 -j CT --zone 2
                -A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -j CT --zone 2
                -A ISTHMUS_PREROUTING_DNS -p udp --sport 53 -j CT --zone 1
                COMMIT
                """);
        assertThat(CaptureRules.defaults(CaptureMode.REDIRECT).iptablesRestoreInput()).as("no DNS rules without DNS capture")
                .doesNotContain("udp").doesNotContain("DNS").doesNotContain("*raw").doesNotContain("CT --zone");
        assertThat(CaptureRules.defaults(CaptureMode.TPROXY).iptablesRestoreInput())
                .doesNotContain("udp").doesNotContain("*nat").doesNotContain("*raw");
    }

    @Test
    void dnsCaptureExcludesEveryProxyUidAndGidAndWorksInTproxyModeThroughTheNatTable() {
        CaptureRules t = new CaptureRules(CaptureMode.TPROXY, 15006, 15001, 1337, 133, List.of(), OptionalInt.of(1337),
                OptionalInt.of(1001), List.of("*"), List.of(), true).withDnsCapture(5353);
        String in = t.iptablesRestoreInput();
        assertThat(in).startsWith("*mangle\n").contains("-A ISTHMUS_OUTPUT -j MARK --set-xmark 0x539/0xffffffff\nCOMMIT\n*nat\n"
                + ":ISTHMUS_OUTPUT_DNS - [0:0]\n"
                + "-A OUTPUT -p udp --dport 53 -j ISTHMUS_OUTPUT_DNS\n"
                + "-A ISTHMUS_OUTPUT_DNS -m owner --uid-owner 1001 -j RETURN\n"
                + "-A ISTHMUS_OUTPUT_DNS -m owner --gid-owner 1337 -j RETURN\n"
                + "-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -j REDIRECT --to-ports 5353\n"
                + "COMMIT\n*raw\n");
        assertThat(in.lines().filter(l -> l.startsWith("-A ISTHMUS_OUTPUT_DNS -p udp") || l.startsWith("-A ISTHMUS_PREROUTING_DNS"))
                .toList()).as("the proxy's own zones first: the first CT target that matches a packet sets its zone").containsExactly(
                "-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -j REDIRECT --to-ports 5353",
                "-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -m owner --uid-owner 1001 -j CT --zone 1",
                "-A ISTHMUS_OUTPUT_DNS -p udp --sport 5353 -m owner --uid-owner 1001 -j CT --zone 2",
                "-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -m owner --gid-owner 1337 -j CT --zone 1",
                "-A ISTHMUS_OUTPUT_DNS -p udp --sport 5353 -m owner --gid-owner 1337 -j CT --zone 2",
                "-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -j CT --zone 2",
                "-A ISTHMUS_PREROUTING_DNS -p udp --sport 53 -j CT --zone 1");
        assertThat(in).as("TPROXY's mangle rules stay TCP only").doesNotContain("-A ISTHMUS_OUTPUT -p udp");
        assertThat(t.ip6tablesRestoreInput()).as("IPv6: the same DNS rules with ip6tables (REDIRECT to ::1)")
                .contains("-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -j REDIRECT --to-ports 5353\n",
                        "-A ISTHMUS_OUTPUT_DNS -p udp --dport 53 -j CT --zone 2\n", "--on-ip ::");
        assertThat(t.dnsCapturePort()).hasValue(5353);
        assertThat(CaptureRules.defaults(CaptureMode.TPROXY).dnsCapturePort()).isEmpty();
    }

    @Test
    void dnsCaptureNeedsAPortAndAProxyOwner() {
        CaptureRules onlyServices = new CaptureRules(CaptureMode.REDIRECT, 15006, 15001, 1337, 133, List.of(), OptionalInt.empty(),
                OptionalInt.empty(), List.of("10.96.0.0/12"), List.of(), true);
        assertThatThrownBy(() -> onlyServices.withDnsCapture(15053)).hasMessageContaining("redirectDns:")
                .hasMessageContaining("needs a proxy gid or uid");
        assertThatThrownBy(() -> CaptureRules.defaults(CaptureMode.REDIRECT).withDnsCapture(0)).hasMessageContaining("dnsCapturePort:")
                .hasMessageContaining("1..65535");
        assertThatThrownBy(() -> CaptureRules.defaults(CaptureMode.REDIRECT).withDnsCapture(65536)).hasMessageContaining("dnsCapturePort:");
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> new CaptureRules(CaptureMode.TPROXY, 15006, 15001, 1337, 133, List.of(), OptionalInt.empty(), OptionalInt.empty(),
                List.of("*"), List.of(), true)).hasMessageContaining("needs a proxy gid or uid");
        assertThatThrownBy(() -> new CaptureRules(CaptureMode.TPROXY, 15006, 15001, 1337, 133, List.of(), OptionalInt.empty(), OptionalInt.empty(),
                List.of("10.96.0.0/33"), List.of(), true)).hasMessageContaining("includeOutboundRanges").hasMessageContaining("prefix");
        assertThatThrownBy(() -> new CaptureRules(CaptureMode.TPROXY, 15006, 15001, 1337, 133, List.of(70000), OptionalInt.of(1), OptionalInt.empty(),
                List.of("*"), List.of(), true)).hasMessageContaining("excludeInboundPorts");
        assertThatThrownBy(() -> new CaptureRules(CaptureMode.TPROXY, 15006, 15001, 1337, 133, List.of(), OptionalInt.of(1), OptionalInt.empty(),
                List.of("fd00::/129"), List.of(), true)).hasMessageContaining("bad prefix length");
        assertThatThrownBy(() -> new CaptureRules(CaptureMode.TPROXY, 15006, 15001, 1337, 133, List.of(), OptionalInt.of(1), OptionalInt.empty(),
                List.of("fd00::zz/8"), List.of(), true)).hasMessageContaining("not an IPv6 CIDR");
        assertThatThrownBy(() -> new CaptureRules(CaptureMode.REDIRECT, 15006, 15001, 1337, 133, List.of(), OptionalInt.empty(),
                OptionalInt.empty(), List.of("::/0"), List.of(), true)).hasMessageContaining("needs a proxy gid or uid");
    }
}
