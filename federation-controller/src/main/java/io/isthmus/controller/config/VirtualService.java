package io.isthmus.controller.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Istio's {@code networking.istio.io/v1} VirtualService, the supported subset: HTTP routes with
 * matches on URI, headers, method, port and gateway, weighted destinations, retries, a timeout, fault
 * injection, URI and authority rewrites, mirrors and CORS policies; TLS routes by SNI for gateways in {@code PASSTHROUGH} mode.
 *
 * @param ref the resource
 * @param hosts the hostnames the routes apply to (short names are qualified with the namespace)
 * @param gateways where it applies: {@code mesh} (the sidecars, the default) and/or gateways as
 *     {@code <namespace>/<name>} or {@code <name>} (a Gateway of the VirtualService's namespace)
 * @param http the HTTP routes, first match wins
 * @param tls the TLS (SNI) routes, first match wins; used by gateway servers in PASSTHROUGH mode
 * @param tcp the TCP routes, first match wins; used by sidecars ({@code mesh}) for the hosts' TCP ports
 */
public record VirtualService(ResourceRef ref, List<String> hosts, List<String> gateways, List<HttpRoute> http,
                             List<TlsRoute> tls, List<TcpRoute> tcp)
        implements MeshResource {

    /** Kind name. */
    public static final String KIND = "VirtualService";

    /** The gateway name that stands for every sidecar. */
    public static final String MESH = "mesh";

    public VirtualService {
        Objects.requireNonNull(ref, "ref");
        hosts = List.copyOf(hosts);
        gateways = List.copyOf(gateways);
        http = List.copyOf(http);
        tls = List.copyOf(tls);
        tcp = List.copyOf(tcp);
    }

    /** A VirtualService with HTTP and TLS routes only. */
    public VirtualService(ResourceRef ref, List<String> hosts, List<String> gateways, List<HttpRoute> http, List<TlsRoute> tls) {
        this(ref, hosts, gateways, http, tls, List.of());
    }

    /** A VirtualService with HTTP routes only. */
    public VirtualService(ResourceRef ref, List<String> hosts, List<String> gateways, List<HttpRoute> http) {
        this(ref, hosts, gateways, http, List.of());
    }

    /**
     * The destinations of the first TCP route for sidecars ({@code mesh}) that matches port P: a match without
     * {@code port} or with P, whose {@code gateways} are empty or name {@code mesh}; empty when none does.
     */
    public List<RouteDestination> tcpRouteFor(int port) {
        boolean mesh = boundTo("", MESH);
        for (TcpRoute r : tcp) {
            boolean matches = r.match().isEmpty() ? mesh : r.match().stream().anyMatch(m ->
                    (m.gateways().isEmpty() ? mesh : names(m.gateways(), ref.namespace(), "", MESH))
                            && (m.port() == 0 || m.port() == port));
            if (matches) {
                return r.route();
            }
        }
        return List.of();
    }

    /** Whether {@link #gateways()} names the Gateway {@code namespace/name} (or {@code mesh}). */
    public boolean boundTo(String gatewayNamespace, String gatewayName) {
        return names(gateways, ref.namespace(), gatewayNamespace, gatewayName);
    }

    /** Whether a match's {@code gateways} (empty = wherever the VirtualService applies) names the Gateway. */
    public boolean matchAppliesAt(List<String> matchGateways, String gatewayNamespace, String gatewayName) {
        return matchGateways.isEmpty() || names(matchGateways, ref.namespace(), gatewayNamespace, gatewayName);
    }

    /**
     * Whether a list of gateway references ({@code mesh}, {@code <ns>/<name>}, or {@code <name>} in
     * {@code ownNamespace}) names a gateway; {@code mesh} is named by {@code (any, "mesh")}.
     */
    static boolean names(List<String> refs, String ownNamespace, String gatewayNamespace, String gatewayName) {
        for (String g : refs) {
            if (gatewayName.equals(MESH) ? g.equals(MESH)
                    : g.equals(gatewayNamespace + "/" + gatewayName)
                            || (!g.contains("/") && g.equals(gatewayName) && ownNamespace.equals(gatewayNamespace))) {
                return true;
            }
        }
        return false;
    }

    /** This VirtualService's HTTP routes that apply at a gateway (or {@code mesh}) on a port: {@code match.gateways}/{@code match.port}. */
    public VirtualService forGateway(String gatewayNamespace, String gatewayName, int port) {
        List<HttpRoute> kept = new java.util.ArrayList<>();
        for (HttpRoute r : http) {
            if (r.match().isEmpty()) {
                kept.add(r);
                continue;
            }
            List<HttpMatch> ms = r.match().stream()
                    .filter(m -> m.gateways().isEmpty() || names(m.gateways(), ref.namespace(), gatewayNamespace, gatewayName))
                    .filter(m -> m.port() == 0 || port == 0 || m.port() == port).toList();
            if (!ms.isEmpty()) {
                kept.add(r.withMatch(ms));
            }
        }
        return new VirtualService(ref, hosts, gateways, kept, tls, tcp);
    }

    /**
     * One HTTP route.
     *
     * @param name optional name, empty when unset
     * @param match the conditions, any of which selects the route; empty = always
     * @param route the weighted destinations (weights sum to 100)
     * @param retries the retry policy, empty = the mesh default
     * @param timeout the request timeout, empty = none
     * @param fault faults injected into the route's requests, empty = none
     * @param rewrite the URI and/or authority the destination sees instead of the request's, empty = none
     * @param mirrors destinations that each get a copy of a share of the requests (their answers are dropped)
     * @param headers header operations on the route's requests and responses, {@link Headers#NONE} = none
     * @param directResponse the fixed answer the proxy gives itself instead of routing (then {@code route} is empty)
     * @param redirect the redirect the proxy answers with instead of routing (then {@code route} is empty)
     * @param cors the route's CORS policy ({@code corsPolicy}), empty = none
     */
    public record HttpRoute(String name, List<HttpMatch> match, List<RouteDestination> route, Optional<Retries> retries,
                            Optional<Duration> timeout, Optional<Fault> fault, Optional<Rewrite> rewrite, List<Mirror> mirrors,
                            Headers headers, Optional<DirectResponse> directResponse, Optional<Redirect> redirect,
                            Optional<CorsPolicy> cors) {
        public HttpRoute {
            Objects.requireNonNull(name, "name");
            match = List.copyOf(match);
            route = List.copyOf(route);
            Objects.requireNonNull(retries, "retries");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(fault, "fault");
            Objects.requireNonNull(rewrite, "rewrite");
            mirrors = List.copyOf(mirrors);
            Objects.requireNonNull(headers, "headers");
            Objects.requireNonNull(directResponse, "directResponse");
            Objects.requireNonNull(redirect, "redirect");
            Objects.requireNonNull(cors, "cors");
            if ((directResponse.isPresent() ? 1 : 0) + (redirect.isPresent() ? 1 : 0) + (route.isEmpty() ? 0 : 1) != 1) {
                throw new IllegalArgumentException("a route has destinations, or a direct response, or a redirect");
            }
        }

        /** A route without fault injection, rewrite, mirrors, header operations, direct response, redirect or CORS. */
        public HttpRoute(String name, List<HttpMatch> match, List<RouteDestination> route, Optional<Retries> retries,
                         Optional<Duration> timeout) {
            this(name, match, route, retries, timeout, Optional.empty(), Optional.empty(), List.of(), Headers.NONE,
                    Optional.empty(), Optional.empty(), Optional.empty());
        }

        /** This route with other match conditions. */
        public HttpRoute withMatch(List<HttpMatch> newMatch) {
            return new HttpRoute(name, newMatch, route, retries, timeout, fault, rewrite, mirrors, headers, directResponse,
                    redirect, cors);
        }

        /** This route with its destinations and mirrors' destinations mapped, e.g. to set their ports. */
        public HttpRoute withDestinations(java.util.function.UnaryOperator<Destination> map) {
            return new HttpRoute(name, match, route.stream()
                    .map(d -> new RouteDestination(map.apply(d.destination()), d.weight(), d.headers())).toList(),
                    retries, timeout, fault, rewrite,
                    mirrors.stream().map(m -> new Mirror(map.apply(m.destination()), m.percent())).toList(), headers,
                    directResponse, redirect, cors);
        }
    }

    /**
     * Istio's {@code HTTPRedirect}: the proxy answers with a redirect to the request's URL with these parts swapped.
     *
     * @param uri the new path (with an optional query, which replaces the request's), empty = the request's
     * @param authority the new host, empty = the request's
     * @param port the new port, 0 = as the request's host says (Istio's {@code derivePort: FROM_PROTOCOL_DEFAULT}
     *     or nothing); {@code derivePort: FROM_REQUEST_PORT} is the port the route is served on, set at translation
     * @param fromRequestPort whether the port is the request's ({@code derivePort: FROM_REQUEST_PORT})
     * @param scheme the new scheme, empty = the request's
     * @param code 301 (default), 302, 303, 307 or 308
     */
    public record Redirect(String uri, String authority, int port, boolean fromRequestPort, String scheme, int code) {
        public Redirect {
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(authority, "authority");
            Objects.requireNonNull(scheme, "scheme");
        }
    }

    /**
     * Istio's {@code HTTPDirectResponse}: the proxy answers the route's requests itself.
     *
     * @param status the status, 200..599
     * @param body the body (UTF-8 text, at most {@link #MAX_BODY} bytes), empty = none
     */
    public record DirectResponse(int status, String body) {
        /** The largest body: Envoy's default {@code max_direct_response_body_size_bytes}. */
        public static final int MAX_BODY = 4096;

        public DirectResponse {
            Objects.requireNonNull(body, "body");
        }
    }

    /**
     * Istio's {@code Headers}: operations on the request on its way to the destination and on the response on its
     * way back.
     *
     * @param request on the request
     * @param response on the response
     */
    public record Headers(HeaderOperations request, HeaderOperations response) {
        /** No operation. */
        public static final Headers NONE = new Headers(HeaderOperations.NONE, HeaderOperations.NONE);

        public Headers {
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(response, "response");
        }

        /** Whether there is no operation at all. */
        public boolean isEmpty() {
            return request.isEmpty() && response.isEmpty();
        }

        /** The authority the request operations set ({@code :authority} or {@code host}), if any. */
        public Optional<String> authority() {
            String v = request.set().get(":authority");
            return Optional.ofNullable(v != null ? v : request.set().get("host"));
        }
    }

    /**
     * Istio's {@code HeaderOperations}.
     *
     * @param set header (lower case) → value, replacing any value the header has
     * @param add header (lower case) → value, appended to the values the header has
     * @param remove headers (lower case) removed
     */
    public record HeaderOperations(Map<String, String> set, Map<String, String> add, List<String> remove) {
        /** No operation. */
        public static final HeaderOperations NONE = new HeaderOperations(Map.of(), Map.of(), List.of());

        public HeaderOperations {
            set = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(set));
            add = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(add));
            remove = List.copyOf(remove);
        }

        /** Whether there is no operation. */
        public boolean isEmpty() {
            return set.isEmpty() && add.isEmpty() && remove.isEmpty();
        }
    }

    /**
     * Istio's {@code HTTPFaultInjection}, injected by the calling proxy before the request is routed: an aborted
     * request is answered by the proxy and never retried, a delayed one waits before its first attempt.
     *
     * @param delay the delay, empty = none
     * @param abort the abort, empty = none (at least one of the two is set)
     */
    public record Fault(Optional<Delay> delay, Optional<Abort> abort) {
        public Fault {
            Objects.requireNonNull(delay, "delay");
            Objects.requireNonNull(abort, "abort");
        }
    }

    /**
     * A fault delay.
     *
     * @param fixedDelay how long the request waits, at least 1 ms
     * @param percent the share of requests delayed, 0..100 (default 100)
     */
    public record Delay(Duration fixedDelay, double percent) {
        public Delay {
            Objects.requireNonNull(fixedDelay, "fixedDelay");
        }
    }

    /**
     * A fault abort.
     *
     * @param httpStatus the status the proxy answers with, 200..599
     * @param percent the share of requests aborted, 0..100 (default 100)
     */
    public record Abort(int httpStatus, double percent) {
    }

    /**
     * Istio's {@code HTTPRewrite}.
     *
     * @param uri replaces the matched part of the path: the prefix of a prefix match, the whole path (not the query)
     *     of an exact or regex match; empty = unchanged
     * @param authority replaces the Host / {@code :authority}; empty = unchanged
     * @param uriRegex {@code uriRegexRewrite}: every match of {@code match} in the path replaced by {@code rewrite}
     *     ({@code \1}.. for groups), not with {@code uri}
     */
    public record Rewrite(String uri, String authority, Optional<RegexRewrite> uriRegex) {
        public Rewrite {
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(authority, "authority");
            Objects.requireNonNull(uriRegex, "uriRegex");
        }

        /** A rewrite of the URI prefix and/or authority. */
        public Rewrite(String uri, String authority) {
            this(uri, authority, Optional.empty());
        }
    }

    /**
     * Istio's {@code RegexRewrite}.
     *
     * @param match the regular expression
     * @param rewrite the replacement, {@code \1}..{@code \9} standing for groups
     */
    public record RegexRewrite(String match, String rewrite) {
        public RegexRewrite {
            Objects.requireNonNull(match, "match");
            Objects.requireNonNull(rewrite, "rewrite");
        }
    }

    /**
     * A mirror: a copy of a share of the route's requests goes to another destination, whose answers are dropped
     * (Istio's {@code mirror} with {@code mirrorPercentage}, or one of {@code mirrors}).
     *
     * @param destination where the copies go
     * @param percent the share of requests copied, 0..100 (default 100)
     */
    public record Mirror(Destination destination, double percent) {
        public Mirror {
            Objects.requireNonNull(destination, "destination");
        }
    }

    /**
     * One match condition: all its parts must hold.
     *
     * @param uri the path match, empty = any
     * @param headers header name (lower case) → match
     * @param method the method match, empty = any
     * @param gateways where this match applies ({@code mesh}, gateway references); empty = wherever
     *     the VirtualService applies
     * @param port the port the request came in on (gateway server port or service port), 0 = any
     */
    public record HttpMatch(Optional<StringMatch> uri, Map<String, StringMatch> headers, Optional<StringMatch> method,
                            List<String> gateways, int port) {
        public HttpMatch {
            Objects.requireNonNull(uri, "uri");
            headers = Map.copyOf(headers);
            Objects.requireNonNull(method, "method");
            gateways = List.copyOf(gateways);
        }

        /** A match on URI, headers and method only. */
        public HttpMatch(Optional<StringMatch> uri, Map<String, StringMatch> headers, Optional<StringMatch> method) {
            this(uri, headers, method, List.of(), 0);
        }
    }

    /**
     * One TLS route: connections whose SNI matches go, undecrypted, to the destination.
     *
     * @param match the conditions, any of which selects the route (at least one)
     * @param route the destination (exactly one)
     */
    public record TlsRoute(List<TlsMatch> match, List<RouteDestination> route) {
        public TlsRoute {
            match = List.copyOf(match);
            route = List.copyOf(route);
        }
    }

    /**
     * One TCP route: connections that match go to the destinations, by weight.
     *
     * @param match the conditions, any of which selects the route; empty = always
     * @param route the weighted destinations (weights sum to 100)
     */
    public record TcpRoute(List<TcpMatch> match, List<RouteDestination> route) {
        public TcpRoute {
            match = List.copyOf(match);
            route = List.copyOf(route);
        }
    }

    /**
     * A TCP match.
     *
     * @param port the service port, 0 = any
     * @param gateways where it applies ({@code mesh} for sidecars); empty = wherever the VirtualService applies
     */
    public record TcpMatch(int port, List<String> gateways) {
        public TcpMatch {
            gateways = List.copyOf(gateways);
        }
    }

    /**
     * A TLS match.
     *
     * @param sniHosts the server names (exact or {@code *.suffix}), at least one
     * @param port the gateway port, 0 = any
     * @param gateways where it applies; empty = wherever the VirtualService applies
     */
    public record TlsMatch(List<String> sniHosts, int port, List<String> gateways) {
        public TlsMatch {
            sniHosts = List.copyOf(sniHosts);
            gateways = List.copyOf(gateways);
        }
    }

    /**
     * A destination with its weight.
     *
     * @param destination where to send
     * @param weight the percentage of traffic, 0..100 (100 for a single destination)
     * @param headers header operations on the requests sent there and their responses
     */
    public record RouteDestination(Destination destination, int weight, Headers headers) {
        public RouteDestination {
            Objects.requireNonNull(destination, "destination");
            Objects.requireNonNull(headers, "headers");
        }

        /** A destination without header operations. */
        public RouteDestination(Destination destination, int weight) {
            this(destination, weight, Headers.NONE);
        }
    }

    /**
     * A service, optionally narrowed to a subset and port.
     *
     * @param host the service hostname (qualified)
     * @param subset the DestinationRule subset, empty for the whole service
     * @param port the service port, 0 when unset (the port the request came in on)
     */
    public record Destination(String host, String subset, int port) {
        public Destination {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(subset, "subset");
        }
    }

    /**
     * Retries.
     *
     * @param attempts number of retries, 0 disables
     * @param perTryTimeout timeout per attempt, empty = the route timeout
     * @param retryOn Envoy retry conditions, comma separated; empty = the mesh default
     */
    public record Retries(int attempts, Optional<Duration> perTryTimeout, String retryOn) {
        public Retries {
            Objects.requireNonNull(perTryTimeout, "perTryTimeout");
            Objects.requireNonNull(retryOn, "retryOn");
        }
    }

    private static final Set<String> RETRY_ON = Set.of("5xx", "gateway-error", "reset", "connect-failure",
            "retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers", "cancelled",
            "deadline-exceeded", "internal", "resource-exhausted", "unavailable", "envoy-ratelimited", "http3-post-connect-failure");

    static VirtualService parse(ResourceRef ref, Fields spec) {
        spec.allowOnly("hosts", "gateways", "http", "tls", "tcp", "exportTo");
        List<String> hosts = spec.strings("hosts").stream().map(h -> Hosts.qualify(h, ref.namespace())).toList();
        if (hosts.isEmpty()) {
            throw spec.error("hosts", "at least one host is required");
        }
        for (int i = 0; i < hosts.size(); i++) {
            Hosts.check(spec, "hosts[" + i + "]", hosts.get(i));
        }
        List<String> gateways = spec.strings("gateways");
        for (int i = 0; i < gateways.size(); i++) {
            checkGatewayRef(spec, "gateways[" + i + "]", gateways.get(i));
        }
        List<HttpRoute> http = spec.each("http", r -> route(ref, r));
        List<TlsRoute> tls = spec.each("tls", r -> tlsRoute(ref, r));
        List<TcpRoute> tcp = spec.each("tcp", r -> tcpRoute(ref, r));
        if (http.isEmpty() && tls.isEmpty() && tcp.isEmpty()) {
            throw spec.error("http", "at least one HTTP, TLS or TCP route is required");
        }
        return new VirtualService(ref, hosts, gateways.isEmpty() ? List.of(MESH) : gateways, http, tls, tcp);
    }

    private static void checkGatewayRef(Fields f, String field, String g) {
        if (!g.matches("([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
            throw f.error(field, "must be mesh, <name> or <namespace>/<name>, got " + g);
        }
    }

    private static TlsRoute tlsRoute(ResourceRef ref, Fields r) {
        r.allowOnly("match", "route");
        List<TlsMatch> matches = r.each("match", m -> {
            m.allowOnly("sniHosts", "port", "gateways");
            List<String> sni = m.strings("sniHosts");
            if (sni.isEmpty()) {
                throw m.error("sniHosts", "at least one SNI host is required");
            }
            for (int i = 0; i < sni.size(); i++) {
                Hosts.check(m, "sniHosts[" + i + "]", sni.get(i));
            }
            List<String> gws = m.strings("gateways");
            for (int i = 0; i < gws.size(); i++) {
                checkGatewayRef(m, "gateways[" + i + "]", gws.get(i));
            }
            return new TlsMatch(sni, m.integer("port", 0, 1, 65535), gws);
        });
        if (matches.isEmpty()) {
            throw r.error("match", "at least one match with sniHosts is required");
        }
        List<RouteDestination> route = destinations(ref, r);
        if (route.stream().anyMatch(d -> !d.headers().isEmpty())) {
            throw r.error("route", "a TLS route's destination has no headers");
        }
        if (route.size() != 1) {
            throw r.error("route", "exactly one destination is supported for TLS routes, got " + route.size());
        }
        return new TlsRoute(matches, route);
    }

    private static TcpRoute tcpRoute(ResourceRef ref, Fields r) {
        r.allowOnly("match", "route");
        List<TcpMatch> matches = r.each("match", m -> {
            m.allowOnly("port", "gateways");
            List<String> gws = m.strings("gateways");
            for (int i = 0; i < gws.size(); i++) {
                checkGatewayRef(m, "gateways[" + i + "]", gws.get(i));
            }
            return new TcpMatch(m.integer("port", 0, 1, 65535), gws);
        });
        List<RouteDestination> route = destinations(ref, r);
        if (route.stream().anyMatch(d -> !d.headers().isEmpty())) {
            throw r.error("route", "a TCP route's destination has no headers");
        }
        return new TcpRoute(matches, route);
    }

    private static HttpRoute route(ResourceRef ref, Fields r) {
        r.allowOnly("name", "match", "route", "retries", "timeout", "fault", "rewrite", "mirror", "mirrorPercentage", "mirrors",
                "headers", "directResponse", "redirect", "corsPolicy");
        List<HttpMatch> matches = r.each("match", m -> {
            m.allowOnly("name", "uri", "headers", "method", "gateways", "port");
            Optional<StringMatch> uri = Optional.ofNullable(m.obj("uri")).map(StringMatch::parse);
            Map<String, StringMatch> headers = new java.util.LinkedHashMap<>();
            m.entries("headers").forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), StringMatch.parse(v)));
            Optional<StringMatch> method = Optional.ofNullable(m.obj("method")).map(StringMatch::parse);
            List<String> gws = m.strings("gateways");
            for (int i = 0; i < gws.size(); i++) {
                checkGatewayRef(m, "gateways[" + i + "]", gws.get(i));
            }
            return new HttpMatch(uri, headers, method, gws, m.integer("port", 0, 1, 65535));
        });
        Optional<DirectResponse> direct = Optional.ofNullable(r.obj("directResponse")).map(HttpRoutePolicies::directResponse);
        Optional<Redirect> redirect = Optional.ofNullable(r.obj("redirect")).map(HttpRoutePolicies::redirect);
        String answer = direct.isPresent() ? "directResponse" : redirect.isPresent() ? "redirect" : null;
        if (answer != null) {
            for (String other : List.of("directResponse", "redirect", "route", "retries", "timeout", "fault", "rewrite", "mirror",
                    "mirrorPercentage", "mirrors")) {
                if (!other.equals(answer) && r.has(other)) {
                    throw r.error(other, "a route with " + answer + " has no " + other);
                }
            }
        }
        List<RouteDestination> route = answer != null ? List.of() : destinations(ref, r);
        Optional<Retries> retries = Optional.ofNullable(r.obj("retries")).map(VirtualService::retries);
        Optional<Fault> fault = Optional.ofNullable(r.obj("fault")).map(HttpRoutePolicies::fault);
        Optional<Rewrite> rewrite = Optional.ofNullable(r.obj("rewrite")).map(HttpRoutePolicies::rewrite);
        Headers headers = HeaderRules.parse(r.obj("headers"), true);
        if (rewrite.isPresent() && !rewrite.get().authority().isEmpty() && headers.authority().isPresent()) {
            throw r.error("headers.request.set", "the authority is rewritten by rewrite.authority already");
        }
        return new HttpRoute(r.str("name", ""), matches, route, retries, Optional.ofNullable(r.duration("timeout")),
                fault, rewrite, HttpRoutePolicies.mirrors(ref, r), headers, direct, redirect,
                Optional.ofNullable(r.obj("corsPolicy")).map(CorsPolicy::parse));
    }

    /**
     * Reads an Istio {@code HTTPRetry} ({@code attempts}, {@code perTryTimeout}, {@code retryOn}): a route's
     * {@code retries} or MeshConfig's {@code defaultHttpRetryPolicy}. As in Istio, {@code attempts} unset is 0: a
     * policy that does not say how many retries turns them off.
     */
    static Retries retries(Fields rt) {
        rt.allowOnly("attempts", "perTryTimeout", "retryOn");
        String on = rt.str("retryOn", "");
        for (String c : on.split(",")) {
            String t = c.trim();
            if (!t.isEmpty() && !RETRY_ON.contains(t) && !t.matches("[1-5]\\d\\d")) {
                throw rt.error("retryOn", "unknown retry condition '" + t + "'");
            }
        }
        return new Retries(rt.integer("attempts", 0, 0, 100), Optional.ofNullable(rt.duration("perTryTimeout")), on);
    }

    private static List<RouteDestination> destinations(ResourceRef ref, Fields r) {
        List<Fields> dests = r.objects("route");
        if (dests.isEmpty()) {
            throw r.error("route", "at least one destination is required");
        }
        List<RouteDestination> route = new java.util.ArrayList<>();
        int sum = 0;
        for (Fields d : dests) {
            d.allowOnly("destination", "weight", "headers");
            Fields dest = d.obj("destination");
            if (dest == null) {
                throw d.error("destination", "required");
            }
            int weight = d.integer("weight", dests.size() == 1 ? 100 : 0, 0, 100);
            sum += weight;
            route.add(new RouteDestination(destination(ref, dest), weight, HeaderRules.parse(d.obj("headers"), false)));
        }
        if (sum != 100) {
            throw r.error("route", "weights must add up to 100, got " + sum);
        }
        return route;
    }

    /** Istio's {@code Destination}: {@code host} (short names qualified), {@code subset}, {@code port.number}. */
    static Destination destination(ResourceRef ref, Fields dest) {
        dest.allowOnly("host", "subset", "port");
        String host = Hosts.qualify(dest.requiredStr("host"), ref.namespace());
        Hosts.check(dest, "host", host);
        String subset = dest.str("subset", "");
        if (subset.contains("|") || subset.contains("_.")) {
            throw dest.error("subset", "must not contain '|' or '_.'");
        }
        Fields port = dest.obj("port");
        int number = 0;
        if (port != null) {
            port.allowOnly("number");
            number = port.integer("number", 0, 1, 65535);
        }
        return new Destination(host, subset, number);
    }
}
