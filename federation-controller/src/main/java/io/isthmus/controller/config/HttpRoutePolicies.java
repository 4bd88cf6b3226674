package io.isthmus.controller.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Reads the parts of a VirtualService HTTP route that act on its requests besides choosing a destination: Istio's
 * {@code fault}, {@code rewrite}, {@code redirect}, {@code directResponse} and mirrors ({@code mirror} with
 * {@code mirrorPercentage}, or {@code mirrors}), each refused naming the field when it is not what a proxy can do.
 */
final class HttpRoutePolicies {

    /** A host name or IP address (IPv6 in brackets) with an optional port: a rewritten or redirected authority. */
    private static final String AUTHORITY = "[A-Za-z0-9._\\-]+(:\\d{1,5})?|\\[[0-9A-Fa-f:.]+\\](:\\d{1,5})?";

    private HttpRoutePolicies() {
    }

    static VirtualService.Redirect redirect(Fields f) {
        f.allowOnly("uri", "authority", "port", "derivePort", "scheme", "redirectCode");
        String uri = f.str("uri", "");
        if (!uri.isEmpty() && (!uri.startsWith("/") || uri.chars().anyMatch(c -> c <= ' ' || c == '#'))) {
            throw f.error("uri", "must be a path starting with '/', without spaces or '#', got '" + uri + "'");
        }
        String authority = f.str("authority", "");
        if (!authority.isEmpty() && !authority.matches(AUTHORITY)) {
            throw f.error("authority", "must be a host name or address, with an optional :port, got '" + authority + "'");
        }
        if (f.has("port") && f.has("derivePort")) {
            throw f.error("derivePort", "port and derivePort cannot both be set");
        }
        String derive = f.str("derivePort", "FROM_PROTOCOL_DEFAULT");
        if (!derive.equals("FROM_PROTOCOL_DEFAULT") && !derive.equals("FROM_REQUEST_PORT")) {
            throw f.error("derivePort", "must be FROM_PROTOCOL_DEFAULT or FROM_REQUEST_PORT, got " + derive);
        }
        String scheme = f.str("scheme", "").toLowerCase(java.util.Locale.ROOT);
        if (!scheme.isEmpty() && !scheme.matches("[a-z][a-z0-9+.-]*")) {
            throw f.error("scheme", "not a scheme: '" + scheme + "'");
        }
        int code = f.integer("redirectCode", 301, 300, 399);
        if (!java.util.Set.of(301, 302, 303, 307, 308).contains(code)) {
            throw f.error("redirectCode", "must be 301, 302, 303, 307 or 308, got " + code);
        }
        return new VirtualService.Redirect(uri, authority, f.integer("port", 0, 1, 65535), derive.equals("FROM_REQUEST_PORT"), scheme, code);
    }

    static VirtualService.DirectResponse directResponse(Fields d) {
        d.allowOnly("status", "body");
        if (!d.has("status")) {
            throw d.error("status", "required");
        }
        int status = d.integer("status", 0, 200, 599);
        Fields b = d.obj("body");
        String body = "";
        if (b != null) {
            b.allowOnly("string", "bytes");
            if (b.has("string") == b.has("bytes")) {
                throw b.error(null, "needs exactly one of string and bytes");
            }
            if (b.has("string")) {
                body = b.str("string", "");
            } else {
                byte[] raw;
                try {
                    raw = java.util.Base64.getDecoder().decode(b.str("bytes", ""));
                } catch (IllegalArgumentException e) {
                    throw b.error("bytes", "is not base64: " + e.getMessage());
                }
                try {
                    body = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                            .decode(java.nio.ByteBuffer.wrap(raw)).toString();
                } catch (java.nio.charset.CharacterCodingException e) {
                    throw b.error("bytes", "must decode to UTF-8 text (binary bodies are not supported)");
                }
            }
            int size = body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (size > VirtualService.DirectResponse.MAX_BODY) {
                throw b.error(null, "is " + size + " bytes, more than the " + VirtualService.DirectResponse.MAX_BODY + " a proxy answers with");
            }
        }
        return new VirtualService.DirectResponse(status, body);
    }

    static VirtualService.Fault fault(Fields f) {
        f.allowOnly("delay", "abort");
        Optional<VirtualService.Delay> delay = Optional.ofNullable(f.obj("delay")).map(d -> {
            d.allowOnly("fixedDelay", "percentage");
            Duration fixed = d.duration("fixedDelay");
            if (fixed == null) {
                throw d.error("fixedDelay", "required (exponentialDelay and the deprecated percent are not supported)");
            }
            return new VirtualService.Delay(fixed, percentage(d, "percentage"));
        });
        Optional<VirtualService.Abort> abort = Optional.ofNullable(f.obj("abort")).map(a -> {
            a.allowOnly("httpStatus", "percentage");
            if (!a.has("httpStatus")) {
                throw a.error("httpStatus", "required (grpcStatus and http2Error aborts are not supported)");
            }
            return new VirtualService.Abort(a.integer("httpStatus", 0, 200, 599), percentage(a, "percentage"));
        });
        if (delay.isEmpty() && abort.isEmpty()) {
            throw f.error(null, "needs a delay or an abort");
        }
        return new VirtualService.Fault(delay, abort);
    }

    static VirtualService.Rewrite rewrite(Fields f) {
        f.allowOnly("uri", "authority", "uriRegexRewrite");
        String uri = f.str("uri", "");
        String authority = f.str("authority", "");
        Optional<VirtualService.RegexRewrite> regex = Optional.ofNullable(f.obj("uriRegexRewrite")).map(HttpRoutePolicies::regex);
        if (uri.isEmpty() && authority.isEmpty() && regex.isEmpty()) {
            throw f.error(null, "needs uri, authority or uriRegexRewrite");
        }
        if (!uri.isEmpty() && regex.isPresent()) {
            throw f.error("uriRegexRewrite", "uri and uriRegexRewrite cannot both be set");
        }
        if (!uri.isEmpty() && (!uri.startsWith("/") || uri.chars().anyMatch(c -> c <= ' ' || c == '?' || c == '#'))) {
            throw f.error("uri", "must be a path starting with '/', without spaces, '?' or '#', got '" + uri + "'");
        }
        if (!authority.isEmpty() && !authority.matches(AUTHORITY)) {
            throw f.error("authority", "must be a host name or address, with an optional :port, got '" + authority + "'");
        }
        return new VirtualService.Rewrite(uri, authority, regex);
    }

    private static VirtualService.RegexRewrite regex(Fields f) {
        f.allowOnly("match", "rewrite");
        String match = f.requiredStr("match");
        int groups;
        try {
            groups = java.util.regex.Pattern.compile(match).matcher("").groupCount();
        } catch (java.util.regex.PatternSyntaxException e) {
            throw f.error("match", "invalid regex: " + e.getDescription());
        }
        String rewrite = f.str("rewrite", "");
        for (int i = 0; i < rewrite.length(); i++) {
            if (rewrite.charAt(i) != '\\') {
                continue;
            }
            char c = i + 1 < rewrite.length() ? rewrite.charAt(++i) : 0;
            if (c == 0 || !Character.isDigit(c) && c != '\\') {
                throw f.error("rewrite", "a backslash is followed by a group number 1..9 or another backslash");
            }
            if (Character.isDigit(c) && c - '0' > groups) {
                throw f.error("rewrite", "names group \\" + c + ", the match has " + groups);
            }
        }
        if (rewrite.chars().anyMatch(ch -> ch <= ' ' || ch == '#')) {
            throw f.error("rewrite", "must not contain spaces or '#'");
        }
        return new VirtualService.RegexRewrite(match, rewrite);
    }

    static List<VirtualService.Mirror> mirrors(ResourceRef ref, Fields r) {
        Fields single = r.obj("mirror");
        if (single != null) {
            if (r.has("mirrors")) {
                throw r.error("mirrors", "mirror and mirrors cannot both be set");
            }
            return List.of(new VirtualService.Mirror(VirtualService.destination(ref, single), percentage(r, "mirrorPercentage")));
        }
        if (r.has("mirrorPercentage")) {
            throw r.error("mirrorPercentage", "needs mirror");
        }
        return r.each("mirrors", m -> {
            m.allowOnly("destination", "percentage");
            Fields dest = m.obj("destination");
            if (dest == null) {
                throw m.error("destination", "required");
            }
            return new VirtualService.Mirror(VirtualService.destination(ref, dest), percentage(m, "percentage"));
        });
    }

    /** Istio's {@code Percent} ({@code {value: 0..100}}) under {@code field}; 100 when absent. */
    private static double percentage(Fields f, String field) {
        Fields p = f.obj(field);
        if (p == null) {
            return 100;
        }
        p.allowOnly("value");
        return p.decimal("value", 100, 0, 100);
    }
}
