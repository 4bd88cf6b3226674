package io.isthmus.sidecar.route;

import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A header value of Envoy's {@code request_headers_to_add} / {@code response_headers_to_add}: literal text with
 * {@code %OPERATOR%} substitutions, {@code %%} standing for a literal percent sign. Parsed once when the route
 * configuration is translated; a value without operators renders as one constant string. Immutable.
 */
public final class HeaderFormat {

    /** The command operators this proxy renders (Envoy's meaning); any other is refused. */
    public enum Operator {
        /** The trusted client address: the peer's {@code ip:port}, or an x-forwarded-for address (no port). */
        DOWNSTREAM_REMOTE_ADDRESS,
        /** The trusted client's IP address. */
        DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT,
        /** The downstream connection's peer, {@code ip:port}. */
        DOWNSTREAM_DIRECT_REMOTE_ADDRESS,
        /** The downstream connection's peer IP address. */
        DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT,
        /** The downstream connection's local address (its original destination when captured), {@code ip:port}. */
        DOWNSTREAM_LOCAL_ADDRESS,
        /** The IP address of {@link #DOWNSTREAM_LOCAL_ADDRESS}. */
        DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT,
        /** The port of {@link #DOWNSTREAM_LOCAL_ADDRESS}. */
        DOWNSTREAM_LOCAL_PORT,
        /** The upstream endpoint that answered, {@code ip:port}; empty on request headers (no endpoint is chosen yet). */
        UPSTREAM_REMOTE_ADDRESS,
        /** The host name of the machine (the pod name in Kubernetes). */
        HOSTNAME,
        /** The downstream protocol, e.g. {@code HTTP/1.1}. */
        PROTOCOL,
        /** When the request began, as Envoy's default {@code START_TIME}: {@code 2024-05-01T10:00:00.123Z}. */
        START_TIME
    }

    private static final DateTimeFormatter START_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
            Locale.ROOT).withZone(ZoneOffset.UTC);

    private final String source;
    /** The rendered value when there is no operator, else null. */
    private final String constant;
    /** Literal strings and {@link Operator}s in order. */
    private final Object[] parts;

    private HeaderFormat(String source, List<Object> parts) {
        this.source = source;
        this.parts = parts.toArray();
        this.constant = parts.isEmpty() ? "" : parts.size() == 1 && parts.get(0) instanceof String s ? s : null;
    }

    /**
     * Parses a header value as Envoy's formatter does.
     *
     * @throws IllegalArgumentException naming what is wrong: an unescaped {@code %}, an operator that is not
     *     supported (by name), an operator with arguments or a length, or a NUL, CR or LF character
     */
    public static HeaderFormat parse(String value) {
        Objects.requireNonNull(value, "value");
        List<Object> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int n = value.length();
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c == 0 || c == '\r' || c == '\n') {
                throw new IllegalArgumentException("a header value must not contain NUL, CR or LF");
            }
            if (c != '%') {
                literal.append(c);
            } else if (i + 1 < n && value.charAt(i + 1) == '%') {
                literal.append('%');
                i++;
            } else {
                int end = commandEnd(value, i);
                if (end < 0) {
                    throw new IllegalArgumentException("no %OPERATOR% at position " + i + " (a literal % is written %%)");
                }
                Operator op = operator(value.substring(i + 1, end));
                if (op == Operator.HOSTNAME) {
                    literal.append(Hostname.VALUE);
                } else {
                    flush(literal, parts);
                    parts.add(op);
                }
                i = end;
            }
        }
        flush(literal, parts);
        return new HeaderFormat(value, parts);
    }

    /**
     * The index of the {@code %} that closes the command starting at {@code start}, or -1: Envoy's command syntax,
     * {@code %NAME%}, {@code %NAME(args)%} or {@code %NAME:length%} with NAME of {@code A-Z 0-9 _}.
     */
    private static int commandEnd(String s, int start) {
        int i = start + 1;
        int n = s.length();
        while (i < n && isNameChar(s.charAt(i))) {
            i++;
        }
        if (i == start + 1) {
            return -1;
        }
        if (i < n && s.charAt(i) == '(') {
            int close = s.indexOf(')', i);
            if (close < 0) {
                return -1;
            }
            i = close + 1;
        }
        if (i < n && s.charAt(i) == ':') {
            int digits = ++i;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == digits) {
                return -1;
            }
        }
        return i < n && s.charAt(i) == '%' ? i : -1;
    }

    private static boolean isNameChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    private static Operator operator(String command) {
        int cut = 0;
        while (cut < command.length() && isNameChar(command.charAt(cut))) {
            cut++;
        }
        String name = command.substring(0, cut);
        Operator op = Arrays.stream(Operator.values()).filter(o -> o.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("operator %" + name + "% is not supported (supported: %%, "
                        + String.join(", ", Arrays.stream(Operator.values()).map(o -> "%" + o + "%").toList()) + ")"));
        if (cut < command.length()) {
            throw new IllegalArgumentException("operator %" + command + "% is not supported: %" + name
                    + "% takes no arguments or length here");
        }
        return op;
    }

    /**
     * Adds the literal text so far. A character beyond ASCII becomes its UTF-8 bytes, one char each, as the HTTP
     * codecs write a char as one byte: the peer receives the UTF-8 text Envoy would send.
     */
    private static void flush(StringBuilder literal, List<Object> parts) {
        if (literal.isEmpty()) {
            return;
        }
        String s = literal.toString();
        if (!s.chars().allMatch(c -> c < 0x80)) {
            s = new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        }
        parts.add(s);
        literal.setLength(0);
    }

    /** The value as configured. */
    public String source() {
        return source;
    }

    /** Whether the value needs no request to render (no operator, or only {@code %HOSTNAME%}). */
    public boolean isConstant() {
        return constant != null;
    }

    /** The value for one request; empty when it has only operators without a value. */
    public String render(HeaderContext c) {
        if (constant != null) {
            return constant;
        }
        StringBuilder b = new StringBuilder(32);
        for (Object p : parts) {
            if (p instanceof String s) {
                b.append(s);
            } else {
                b.append(value((Operator) p, c));
            }
        }
        return b.toString();
    }

    private static String value(Operator op, HeaderContext c) {
        return switch (op) {
            case DOWNSTREAM_REMOTE_ADDRESS -> {
                SocketAddress peer = c.downstreamPeer();
                String client = c.clientAddress();
                yield peer != null && client.equals(peer.hostAddress()) ? withPort(peer) : ip(client);
            }
            case DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT -> ip(c.clientAddress());
            case DOWNSTREAM_DIRECT_REMOTE_ADDRESS -> withPort(c.downstreamPeer());
            case DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT -> host(c.downstreamPeer());
            case DOWNSTREAM_LOCAL_ADDRESS -> withPort(c.downstreamLocal());
            case DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT -> host(c.downstreamLocal());
            case DOWNSTREAM_LOCAL_PORT -> c.downstreamLocal() == null ? "" : Integer.toString(c.downstreamLocal().port());
            case UPSTREAM_REMOTE_ADDRESS -> c.upstreamAddress();
            case HOSTNAME -> Hostname.VALUE;
            case PROTOCOL -> c.protocol();
            case START_TIME -> START_TIME.format(Instant.ofEpochMilli(c.startMillis()));
        };
    }

    private static String host(SocketAddress a) {
        return a == null || a.hostAddress() == null ? "" : ip(a.hostAddress());
    }

    /** An IP address as Envoy prints it: IPv6 in its short form (RFC 5952), {@code ::1} not {@code 0:0:0:0:0:0:0:1}. */
    static String ip(String address) {
        int scope = address.indexOf('%');
        String a = scope < 0 ? address : address.substring(0, scope);
        if (a.indexOf(':') < 0 || a.contains("::") || a.indexOf('.') >= 0) {
            return address;
        }
        String[] groups = a.split(":", -1);
        if (groups.length != 8) {
            return address;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && isZero(groups[j])) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder b = new StringBuilder(a.length());
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                b.append("::");
                i += bestLength - 1;
                continue;
            }
            if (b.length() > 0 && b.charAt(b.length() - 1) != ':') {
                b.append(':');
            }
            String g = groups[i].replaceFirst("^0+(?=.)", "").toLowerCase(Locale.ROOT);
            b.append(g);
        }
        return scope < 0 ? b.toString() : b + address.substring(scope);
    }

    private static boolean isZero(String group) {
        return !group.isEmpty() && group.chars().allMatch(ch -> ch == '0');
    }

    private static String withPort(SocketAddress a) {
        String h = host(a);
        if (h.isEmpty()) {
            return "";
        }
        return h.indexOf(':') >= 0 ? "[" + h + "]:" + a.port() : h + ":" + a.port();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HeaderFormat f && f.source.equals(source);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }

    @Override
    public String toString() {
        return source;
    }

    /** The machine's host name, read once: the kernel's, else {@code $HOSTNAME}, else what Java resolves. */
    private static final class Hostname {
        static final String VALUE = read();

        private static String read() {
            try {
                Path p = Path.of("/proc/sys/kernel/hostname");
                if (Files.isReadable(p)) {
                    String h = Files.readString(p).trim();
                    if (!h.isEmpty()) {
                        return h;
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // fall through to the other sources
            }
            String env = System.getenv("HOSTNAME");
            if (env != null && !env.isBlank()) {
                return env.trim();
            }
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                return "";
            }
        }
    }
}
