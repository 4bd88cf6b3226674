package io.isthmus.e2e.net;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guards that keep every packet on this machine: the process must sit in a network namespace
 * with no default route and only {@code lo} plus interfaces we made, and each target address must
 * resolve ({@code ip route get}) to one of our own interfaces.
 */
public final class Isolation {
    /** Environment variable set by {@code kind-tests/netns-jdk/bin/java} naming the outer namespace. */
    public static final String OUTER_NETNS_ENV = "ISTHMUS_OUTER_NETNS";
    private static final Pattern DEV = Pattern.compile("\\bdev (\\S+)");

    private Isolation() {
    }

    /**
     * Throws unless this process's network namespace is isolated: no default route and no
     * interface except {@code lo} and ours ({@code ib*}, {@code iv*}, {@code ig*}).
     */
    public static void requireIsolatedOuterNamespace() {
        String defaults = Ip.ip("route", "show", "default").trim();
        if (!defaults.isEmpty()) {
            throw new NetException("refusing to build the local federation: this network namespace has a default route ("
                    + defaults + "); run it inside an isolated namespace (kind-tests/netns-jdk/bin/java, or `isthmus local up`"
                    + " which makes one)");
        }
        List<String> foreign = new ArrayList<>();
        for (String line : Ip.ip("-o", "link", "show").split("\n")) {
            String[] parts = line.split(":\\s+", 3);
            if (parts.length < 2) {
                continue;
            }
            String name = parts[1].replaceFirst("@.*", "");
            if (!name.equals("lo") && !ours(name)) {
                foreign.add(name);
            }
        }
        if (!foreign.isEmpty()) {
            throw new NetException("refusing to build the local federation: this network namespace has interfaces it did not make "
                    + foreign + "; run it inside an isolated namespace");
        }
    }

    /** Whether an interface of the outer namespace is one the local federation makes (or its loopback). */
    public static boolean ours(String dev) {
        return dev.equals("lo") || dev.startsWith("ib") || dev.startsWith("iv") || dev.startsWith("ig");
    }

    /** Whether an interface inside a pod or gateway namespace (which we made whole) is ours. */
    static boolean oursInPod(String dev) {
        return dev.equals("lo") || dev.equals("eth0") || dev.equals("eth1");
    }

    /**
     * Checks with {@code ip route get} that {@code target} leaves through one of our interfaces,
     * from this namespace ({@code netns} empty) or from a named one.
     */
    public static void requireRouteIsOurs(String netns, String target) {
        String out = netns.isEmpty() ? Ip.ip("route", "get", target) : Ip.ip("-n", netns, "route", "get", target);
        Matcher m = DEV.matcher(out);
        if (!m.find()) {
            throw new NetException("ip route get " + target + (netns.isEmpty() ? "" : " in " + netns)
                    + " names no interface: " + out.trim());
        }
        if (netns.isEmpty() ? !ours(m.group(1)) : !oursInPod(m.group(1))) {
            throw new NetException("refusing to send to " + target + (netns.isEmpty() ? "" : " from " + netns)
                    + ": it would leave through '" + m.group(1) + "', not one of our interfaces");
        }
    }

    /** Whether {@code target} is unroutable from a namespace (the isolation between networks holds). */
    public static boolean unreachable(String netns, String target) {
        try {
            Ip.ip("-n", netns, "route", "get", target);
            return false;
        } catch (NetException e) {
            return true;
        }
    }
}
