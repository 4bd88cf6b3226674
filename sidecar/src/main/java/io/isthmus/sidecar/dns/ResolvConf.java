package io.isthmus.sidecar.dns;

import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@code resolv.conf} says about name resolution: its {@code nameserver}s in order, its
 * {@code search} list ({@code domain} when there is no {@code search}) and {@code options ndots}.
 * The DNS proxy's upstream and the proxy's own resolver are built from it.
 *
 * @param nameservers the {@code nameserver} addresses (IP literals), in order
 * @param search      the search domains, in order, without trailing dots
 * @param ndots       the dots a name needs to be tried as is before the search list (default 1, at most 15)
 */
public record ResolvConf(List<InetAddress> nameservers, List<String> search, int ndots) {
    private static final Logger LOG = LoggerFactory.getLogger(ResolvConf.class);
    /** The DNS port, the one a {@code nameserver} line and an upstream without port mean. */
    public static final int DNS_PORT = 53;
    /** The system's file. */
    public static final Path SYSTEM_FILE = Path.of("/etc/resolv.conf");

    public ResolvConf {
        nameservers = List.copyOf(nameservers);
        search = List.copyOf(search);
        if (ndots < 0 || ndots > 15) {
            throw new IllegalArgumentException("ndots: out of range " + ndots);
        }
    }

    /** {@link #SYSTEM_FILE}, read now. */
    public static ResolvConf system() {
        return read(SYSTEM_FILE);
    }

    /**
     * Reads a resolv.conf file; an absent or unreadable file is an empty one (no nameserver), and
     * lines that make no sense are skipped.
     */
    public static ResolvConf read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException | RuntimeException e) {
            LOG.debug("No resolver configuration [{}]: {}", file, e.toString());
            lines = List.of();
        }
        return parse(lines);
    }

    /** Parses the lines of a resolv.conf file. */
    public static ResolvConf parse(List<String> lines) {
        List<InetAddress> servers = new ArrayList<>();
        List<String> search = null;
        List<String> domain = List.of();
        int ndots = 1;
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            String[] p = line.split("\\s+");
            switch (p[0]) {
                case "nameserver" -> {
                    if (p.length >= 2) {
                        literal(p[1]).ifPresent(servers::add);
                    }
                }
                case "search" -> search = domains(p);
                case "domain" -> domain = domains(p).stream().limit(1).toList();
                case "options" -> {
                    for (int i = 1; i < p.length; i++) {
                        if (p[i].matches("ndots:\\d{1,3}")) {
                            ndots = Math.min(15, Integer.parseInt(p[i].substring(6)));
                        }
                    }
                }
                default -> {
                    // sortlist and anything else: not used
                }
            }
        }
        return new ResolvConf(servers, search == null ? domain : search, ndots);
    }

    private static List<String> domains(String[] p) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i < p.length; i++) {
            String d = p[i].endsWith(".") ? p[i].substring(0, p[i].length() - 1) : p[i];
            if (!d.isEmpty()) {
                out.add(d);
            }
        }
        return out;
    }

    /**
     * The first nameserver (port 53) that is not the DNS proxy listening on {@code dnsProxy}: where
     * the pod's names went before the proxy, so that {@code nameserver 127.0.0.1} (the proxy) followed
     * by {@code nameserver 10.96.0.10} gives the latter.
     */
    public Optional<InetSocketAddress> upstreamFor(InetSocketAddress dnsProxy) {
        Objects.requireNonNull(dnsProxy, "dnsProxy");
        return nameservers.stream().map(a -> new InetSocketAddress(a, DNS_PORT))
                .filter(u -> !isOwnAddress(u, dnsProxy)).findFirst();
    }

    /**
     * Whether a DNS server at {@code server} is the DNS proxy bound on {@code dnsProxy} (same port, and the
     * same address or a loopback one when the proxy binds every address).
     */
    public static boolean isOwnAddress(InetSocketAddress server, InetSocketAddress dnsProxy) {
        return server.getPort() == dnsProxy.getPort() && server.getAddress() != null && dnsProxy.getAddress() != null
                && (server.getAddress().equals(dnsProxy.getAddress())
                || dnsProxy.getAddress().isAnyLocalAddress() && server.getAddress().isLoopbackAddress());
    }

    /**
     * Parses a DNS server given as {@code IP}, {@code IP:PORT}, {@code [IPv6]:PORT} or a bare IPv6
     * literal; the port defaults to 53. A host name is refused: the server is what resolves names.
     *
     * @throws IllegalArgumentException saying what is wrong with {@code value}
     */
    public static InetSocketAddress parseServer(String value) {
        String v = value == null ? "" : value.strip();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("empty: expected IP or IP:PORT, e.g. 10.96.0.10:53");
        }
        String host = v;
        String port = null;
        if (v.startsWith("[")) {
            int close = v.indexOf(']');
            if (close < 0 || close != v.length() - 1 && v.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + v + "' is not [IPv6]:PORT");
            }
            host = v.substring(1, close);
            port = close == v.length() - 1 ? null : v.substring(close + 2);
        } else if (v.indexOf(':') == v.lastIndexOf(':') && v.indexOf(':') >= 0) {
            host = v.substring(0, v.indexOf(':'));
            port = v.substring(v.indexOf(':') + 1);
        }
        InetAddress address = literal(host).orElseThrow(() -> new IllegalArgumentException(
                "'" + v + "': the host must be an IP address (the DNS server itself cannot be looked up by name)"));
        int p = DNS_PORT;
        if (port != null) {
            p = port.matches("\\d{1,5}") ? Integer.parseInt(port) : -1;
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("'" + v + "': port '" + port + "' is not 1..65535");
            }
        }
        return new InetSocketAddress(address, p);
    }

    private static Optional<InetAddress> literal(String s) {
        byte[] b = NetUtil.createByteArrayFromIpAddressString(s);
        if (b == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByAddress(b));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
