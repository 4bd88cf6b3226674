package io.isthmus.controller.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Istio's {@code networking.istio.io/v1} Gateway, the supported subset: servers on HTTP, HTTPS and
 * TLS ports of the router proxies whose labels the {@code selector} matches, TLS termination in
 * {@code SIMPLE}, {@code MUTUAL} and {@code ISTIO_MUTUAL} modes, {@code PASSTHROUGH} by SNI, and
 * {@code httpsRedirect}; plus the limits of the {@code isthmus.io/*} annotations.
 *
 * @param ref the resource
 * @param selector the labels of the router proxies it configures; empty selects nothing
 * @param servers the servers, in spec order
 * @param limits the limits from the annotations
 */
public record Gateway(ResourceRef ref, Map<String, String> selector, List<Server> servers, Limits limits)
        implements MeshResource {

    /** Kind name. */
    public static final String KIND = "Gateway";
    /** Annotation: the largest request header block accepted, in KiB (default 60). */
    public static final String MAX_REQUEST_HEADERS_KB = "isthmus.io/max-request-headers-kb";
    /** Annotation: requests per client IP, {@code <n>/s} or {@code <n>/m}. */
    public static final String RATE_LIMIT_PER_CLIENT = "isthmus.io/rate-limit-per-client";
    /** Annotation: the most downstream connections a listener holds at once. */
    public static final String MAX_CONNECTIONS = "isthmus.io/max-connections";

    private static final Pattern RATE = Pattern.compile("([1-9]\\d{0,8})/(s|m)");

    public Gateway {
        Objects.requireNonNull(ref, "ref");
        selector = Map.copyOf(selector);
        servers = List.copyOf(servers);
        Objects.requireNonNull(limits, "limits");
    }

    /** Whether this Gateway configures a proxy with these labels. */
    public boolean selects(Map<String, String> labels) {
        return !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }

    /** How a server accepts connections. */
    public enum Protocol {
        /** Plain HTTP/1.1 and h2c (also for Istio's HTTP2 and GRPC). */
        HTTP,
        /** HTTP over TLS terminated (or passed through) by the gateway. */
        HTTPS,
        /** TLS passed through by SNI. */
        TLS
    }

    /** What the gateway does with TLS on a server. */
    public enum TlsMode {
        /** No TLS (HTTP servers). */
        NONE,
        /** Terminates TLS with the certificate of {@code credentialName}. */
        SIMPLE,
        /** Terminates TLS and requires a client certificate under {@code <credentialName>-cacert}. */
        MUTUAL,
        /** Terminates mesh mTLS with the gateway's own workload certificate. */
        ISTIO_MUTUAL,
        /** Routes by SNI without terminating. */
        PASSTHROUGH
    }

    /**
     * One server.
     *
     * @param port the port number (the listener binds {@code 0.0.0.0:<number>}), its name and protocol
     * @param hosts the hosts it serves, each with the namespace whose VirtualServices may bind to it
     * @param tlsMode how TLS is handled
     * @param credentialName the Secret of the certificate (SIMPLE, MUTUAL), else empty
     * @param httpsRedirect whether plain HTTP requests are redirected to HTTPS (301)
     */
    public record Server(Port port, List<ServerHost> hosts, TlsMode tlsMode, String credentialName,
                         boolean httpsRedirect) {
        public Server {
            Objects.requireNonNull(port, "port");
            hosts = List.copyOf(hosts);
            Objects.requireNonNull(tlsMode, "tlsMode");
            Objects.requireNonNull(credentialName, "credentialName");
        }

        /** The host names without their namespace part, in spec order. */
        public List<String> hostNames() {
            return hosts.stream().map(ServerHost::host).distinct().toList();
        }

        /** Whether a VirtualService host of {@code vsNamespace} may bind here: some server host matches it. */
        public boolean accepts(String vsNamespace, String gatewayNamespace, String vsHost) {
            return hosts.stream().anyMatch(h -> h.accepts(vsNamespace, gatewayNamespace, vsHost));
        }
    }

    /**
     * A server port.
     *
     * @param number the port, 1..65535
     * @param name the port name (part of the HTTPS route configuration name)
     * @param protocol the protocol
     */
    public record Port(int number, String name, Protocol protocol) {
        public Port {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(protocol, "protocol");
        }
    }

    /**
     * A server host.
     *
     * @param namespace {@code *} (any), {@code .} (the Gateway's) or a namespace name
     * @param host {@code *}, {@code *.suffix} or an exact name
     */
    public record ServerHost(String namespace, String host) {
        public ServerHost {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(host, "host");
        }

        /** Whether a VirtualService host of {@code vsNamespace} may bind to this host (either side may be the wildcard). */
        public boolean accepts(String vsNamespace, String gatewayNamespace, String vsHost) {
            boolean nsOk = namespace.equals("*") || (namespace.equals(".")
                    ? vsNamespace.equals(gatewayNamespace) : namespace.equals(vsNamespace));
            return nsOk && (Hosts.matches(host, vsHost) || Hosts.matches(vsHost, host));
        }

        /** Whether this host covers {@code name} (exact, {@code *}, or {@code *.suffix}). */
        public boolean covers(String name) {
            return Hosts.matches(host, name);
        }
    }

    /**
     * Listener and connection manager limits of the Gateway's listeners.
     *
     * @param maxRequestHeadersKb the largest request header block, KiB (default 60)
     * @param ratePerClient requests per client IP, when limited
     * @param maxConnections the most connections a listener holds at once, when limited
     */
    public record Limits(int maxRequestHeadersKb, Optional<RateLimit> ratePerClient, OptionalInt maxConnections) {
        /** No annotations. */
        public static final Limits DEFAULT = new Limits(60, Optional.empty(), OptionalInt.empty());

        public Limits {
            Objects.requireNonNull(ratePerClient, "ratePerClient");
            Objects.requireNonNull(maxConnections, "maxConnections");
        }
    }

    /**
     * A token bucket: {@code tokens} per {@code interval}, refilled whole.
     *
     * @param tokens requests per interval
     * @param interval one second or one minute
     */
    public record RateLimit(int tokens, Duration interval) {
        public RateLimit {
            Objects.requireNonNull(interval, "interval");
        }
    }

    /**
     * Servers that a proxy selected by two Gateways (or by one) cannot have: a port that one server
     * serves as HTTP and another as HTTPS/TLS. The later server (by Gateway namespace and name, then
     * spec order) is dropped on such proxies; each warning names it.
     */
    static List<String> conflicts(List<Gateway> gateways) {
        List<String> out = new ArrayList<>();
        List<Map.Entry<Gateway, Integer>> seen = new ArrayList<>();
        for (Gateway g : gateways) {
            for (int i = 0; i < g.servers().size(); i++) {
                Server s = g.servers().get(i);
                boolean plain = s.port().protocol() == Protocol.HTTP;
                for (Map.Entry<Gateway, Integer> e : seen) {
                    Server earlier = e.getKey().servers().get(e.getValue());
                    if (earlier.port().number() == s.port().number() && (earlier.port().protocol() == Protocol.HTTP) != plain
                            && compatible(e.getKey().selector(), g.selector())) {
                        out.add(g.ref() + ": spec.servers[" + i + "].port: port " + s.port().number() + " is "
                                + (plain ? "HTTP" : s.port().protocol()) + " here but " + earlier.port().protocol() + " in "
                                + e.getKey().ref() + "; this server is dropped on proxies both select");
                        break;
                    }
                }
                seen.add(Map.entry(g, i));
            }
        }
        return out;
    }

    /** Whether some pod could match both selectors (no label required with two values). */
    private static boolean compatible(Map<String, String> a, Map<String, String> b) {
        if (a.isEmpty() || b.isEmpty()) {
            return false;
        }
        return a.entrySet().stream().allMatch(e -> !b.containsKey(e.getKey()) || b.get(e.getKey()).equals(e.getValue()));
    }

    static Gateway parse(ResourceRef ref, Fields spec, Map<String, String> annotations) {
        spec.allowOnly("selector", "servers");
        Map<String, String> selector = spec.stringMap("selector");
        List<Server> servers = new ArrayList<>();
        List<Fields> list = spec.objects("servers");
        if (list.isEmpty()) {
            throw spec.error("servers", "at least one server is required");
        }
        for (Fields s : list) {
            servers.add(server(ref, s));
        }
        return new Gateway(ref, selector, servers, limits(ref, annotations));
    }

    private static Server server(ResourceRef ref, Fields s) {
        s.allowOnly("port", "hosts", "tls", "name");
        Fields p = s.obj("port");
        if (p == null) {
            throw s.error("port", "required");
        }
        p.allowOnly("number", "name", "protocol", "targetPort");
        int number = p.integer("number", 0, 1, 65535);
        if (number == 0) {
            throw p.error("number", "required");
        }
        String name = p.requiredStr("name");
        if (!name.matches("[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?")) {
            throw p.error("name", "must be letters, digits, '-' and '_', got " + name);
        }
        String proto = p.requiredStr("protocol").toUpperCase(java.util.Locale.ROOT);
        Protocol protocol = switch (proto) {
            case "HTTP", "HTTP2", "GRPC" -> Protocol.HTTP;
            case "HTTPS" -> Protocol.HTTPS;
            case "TLS" -> Protocol.TLS;
            default -> throw p.error("protocol", "not supported: " + proto + " (supported: HTTP, HTTP2, GRPC, HTTPS, TLS)");
        };
        List<String> raw = s.strings("hosts");
        if (raw.isEmpty()) {
            throw s.error("hosts", "at least one host is required");
        }
        List<ServerHost> hosts = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            String h = raw.get(i);
            int slash = h.indexOf('/');
            String ns = slash < 0 ? "*" : h.substring(0, slash);
            String host = slash < 0 ? h : h.substring(slash + 1);
            if (slash >= 0 && !ns.equals("*") && !ns.equals(".") && !ns.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")) {
                throw s.error("hosts[" + i + "]", "namespace part must be *, . or a namespace name, got " + ns);
            }
            Hosts.check(s, "hosts[" + i + "]", host);
            hosts.add(new ServerHost(ns, host));
        }
        TlsMode mode = TlsMode.NONE;
        String credential = "";
        boolean redirect = false;
        Fields tls = s.obj("tls");
        if (tls != null) {
            tls.allowOnly("mode", "credentialName", "httpsRedirect");
            redirect = Boolean.TRUE.equals(tls.bool("httpsRedirect"));
            String m = tls.str("mode", "");
            mode = switch (m) {
                case "" -> TlsMode.NONE;
                case "SIMPLE" -> TlsMode.SIMPLE;
                case "MUTUAL" -> TlsMode.MUTUAL;
                case "ISTIO_MUTUAL" -> TlsMode.ISTIO_MUTUAL;
                case "PASSTHROUGH" -> TlsMode.PASSTHROUGH;
                default -> throw tls.error("mode", "not supported: " + m
                        + " (supported: SIMPLE, MUTUAL, ISTIO_MUTUAL, PASSTHROUGH)");
            };
            credential = tls.str("credentialName", "");
            if ((mode == TlsMode.SIMPLE || mode == TlsMode.MUTUAL) && credential.isEmpty()) {
                throw tls.error("credentialName", "required for mode " + mode
                        + " (certificate files on the gateway are not supported)");
            }
            if (!credential.isEmpty() && !credential.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
                throw tls.error("credentialName", "must be a Secret name, got " + credential);
            }
            if (!credential.isEmpty() && mode != TlsMode.SIMPLE && mode != TlsMode.MUTUAL) {
                throw tls.error("credentialName", "only used with mode SIMPLE or MUTUAL, mode is " + mode);
            }
        }
        switch (protocol) {
            case HTTP -> {
                if (mode != TlsMode.NONE) {
                    throw s.error("tls.mode", "an HTTP server does not terminate TLS; use protocol HTTPS");
                }
            }
            case HTTPS -> {
                if (mode == TlsMode.NONE) {
                    throw s.error("tls.mode", "required for an HTTPS server");
                }
            }
            case TLS -> {
                if (mode != TlsMode.PASSTHROUGH) {
                    throw s.error("tls.mode", "a TLS server supports only PASSTHROUGH, got " + mode);
                }
            }
        }
        return new Server(new Port(number, name, protocol), hosts, mode, credential, redirect);
    }

    private static Limits limits(ResourceRef ref, Map<String, String> annotations) {
        int headers = 60;
        Optional<RateLimit> rate = Optional.empty();
        OptionalInt conns = OptionalInt.empty();
        String h = annotations.get(MAX_REQUEST_HEADERS_KB);
        if (h != null) {
            headers = positive(ref, MAX_REQUEST_HEADERS_KB, h, 8192);
        }
        String r = annotations.get(RATE_LIMIT_PER_CLIENT);
        if (r != null) {
            Matcher m = RATE.matcher(r.trim());
            if (!m.matches()) {
                throw new ConfigException(ref, "metadata.annotations[" + RATE_LIMIT_PER_CLIENT + "]",
                        "must be <n>/s or <n>/m, got " + r);
            }
            rate = Optional.of(new RateLimit(Integer.parseInt(m.group(1)),
                    m.group(2).equals("s") ? Duration.ofSeconds(1) : Duration.ofMinutes(1)));
        }
        String c = annotations.get(MAX_CONNECTIONS);
        if (c != null) {
            conns = OptionalInt.of(positive(ref, MAX_CONNECTIONS, c, Integer.MAX_VALUE));
        }
        return new Limits(headers, rate, conns);
    }

    private static int positive(ResourceRef ref, String key, String value, int max) {
        try {
            long n = Long.parseLong(value.trim());
            if (n >= 1 && n <= max) {
                return (int) n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(ref, "metadata.annotations[" + key + "]", "must be an integer 1.." + max + ", got " + value);
    }
}
