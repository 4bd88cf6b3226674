package io.isthmus.sidecar.route;

import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.isthmus.sidecar.errors.ResourceDurations;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * Translates an RDS {@code RouteConfiguration} into a {@link RouteTable}; fields that would change
 * behaviour and are not honoured are refused with their path (see docs/xds-support.md).
 */
public final class RouteTranslator {

    private static final String PREVIOUS_HOSTS = "envoy.retry_host_predicates.previous_hosts";

    private RouteTranslator() {
    }

    /** Translates and validates one route configuration. */
    public static RouteTable translate(RouteConfiguration rc) throws InvalidResourceException {
        String name = rc.getName();
        if (rc.hasVhds()) {
            throw invalid(name, "vhds", "VHDS is not supported");
        }
        if (rc.getClusterSpecifierPluginsCount() > 0 || rc.getRequestMirrorPoliciesCount() > 0) {
            throw invalid(name, "cluster_specifier_plugins", "not supported");
        }
        HeaderMutationTranslator.Level rcHeaders = HeaderMutationTranslator.level(name, "", rc.getRequestHeadersToAddList(),
                rc.getRequestHeadersToRemoveList(), rc.getResponseHeadersToAddList(), rc.getResponseHeadersToRemoveList());
        Optional<CorsPolicy> rcCors = PerFilterConfigs.enclosing(name, "typed_per_filter_config", rc.getTypedPerFilterConfigMap(),
                Optional.empty());
        List<VirtualHostEntry> vhosts = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < rc.getVirtualHostsCount(); i++) {
            VirtualHost vh = rc.getVirtualHosts(i);
            String f = "virtual_hosts[" + i + "]";
            if (vh.getDomainsCount() == 0) {
                throw invalid(name, f + ".domains", "must not be empty");
            }
            for (String d : vh.getDomainsList()) {
                if (!seen.add(d.toLowerCase(java.util.Locale.ROOT))) {
                    throw invalid(name, f + ".domains", "domain '" + d + "' appears in more than one virtual host");
                }
            }
            if (vh.hasCors()) {
                throw invalid(name, f + ".cors", "the deprecated cors field is not supported; use typed_per_filter_config["
                        + CorsTranslator.FILTER + "]");
            }
            if (vh.hasHedgePolicy() || vh.getRequestMirrorPoliciesCount() > 0) {
                throw invalid(name, f, "hedging and mirroring on virtual hosts are not supported");
            }
            Optional<CorsPolicy> vhCors = PerFilterConfigs.enclosing(name, f + ".typed_per_filter_config",
                    vh.getTypedPerFilterConfigMap(), rcCors);
            var enclosing = new HeaderMutationTranslator.Enclosing(HeaderMutationTranslator.level(name, f,
                    vh.getRequestHeadersToAddList(), vh.getRequestHeadersToRemoveList(), vh.getResponseHeadersToAddList(),
                    vh.getResponseHeadersToRemoveList()), rcHeaders, rc.getMostSpecificHeaderMutationsWins());
            for (int k = 0; k < vh.getRateLimitsCount(); k++) {
                remoteAddressOnly(name, f + ".rate_limits[" + k + "]", vh.getRateLimits(k));
            }
            VirtualHostEntry.RequireTls requireTls = switch (vh.getRequireTls()) {
                case NONE -> VirtualHostEntry.RequireTls.NONE;
                case EXTERNAL_ONLY -> VirtualHostEntry.RequireTls.EXTERNAL_ONLY;
                case ALL -> VirtualHostEntry.RequireTls.ALL;
                default -> throw invalid(name, f + ".require_tls", "unknown value " + vh.getRequireTlsValue());
            };
            RetryPolicy vhRetry = vh.hasRetryPolicy() ? retry(name, f + ".retry_policy", vh.getRetryPolicy()) : RetryPolicy.NONE;
            OptionalLong vhLimit = vh.hasPerRequestBufferLimitBytes()
                    ? OptionalLong.of(vh.getPerRequestBufferLimitBytes().getValue() & 0xFFFF_FFFFL) : OptionalLong.empty();
            RouteEntry.AttemptCount attempts = new RouteEntry.AttemptCount(vh.getIncludeRequestAttemptCount(),
                    vh.getIncludeAttemptCountInResponse());
            List<RouteEntry> routes = new ArrayList<>();
            for (int j = 0; j < vh.getRoutesCount(); j++) {
                routes.add(route(name, f + ".routes[" + j + "]", vh.getRoutes(j), vhRetry, vh.getName(), vhLimit, attempts,
                        enclosing, vhCors));
            }
            vhosts.add(new VirtualHostEntry(vh.getName(), vh.getDomainsList(), routes, requireTls));
        }
        List<String> internalOnly = new ArrayList<>();
        for (int i = 0; i < rc.getInternalOnlyHeadersCount(); i++) {
            String h = rc.getInternalOnlyHeaders(i);
            if (h.isEmpty() || h.startsWith(":") || !h.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ',')) {
                throw invalid(name, "internal_only_headers[" + i + "]", "not a header name: '" + h + "'");
            }
            internalOnly.add(h);
        }
        return new RouteTable(name, vhosts, internalOnly);
    }

    /** Rate limit actions for the local rate limit filter: only {@code remote_address} (its per-client buckets). */
    private static void remoteAddressOnly(String rc, String f, io.envoyproxy.envoy.config.route.v3.RateLimit r)
            throws InvalidResourceException {
        if (r.getActionsCount() == 0 || r.hasLimit() || r.getStage().getValue() != 0) {
            throw invalid(rc, f, "only rate limits with remote_address actions are supported");
        }
        for (int j = 0; j < r.getActionsCount(); j++) {
            if (!r.getActions(j).hasRemoteAddress()) {
                throw invalid(rc, f + ".actions[" + j + "]", "only remote_address actions are supported");
            }
        }
    }

    private static RouteEntry route(String rc, String f, Route r, RetryPolicy vhRetry, String vhName, OptionalLong vhLimit,
                                    RouteEntry.AttemptCount attempts, HeaderMutationTranslator.Enclosing enclosing,
                                    Optional<CorsPolicy> vhCors)
            throws InvalidResourceException {
        if (!r.hasRoute() && !r.hasDirectResponse() && !r.hasRedirect()) {
            throw invalid(rc, f, "only route, redirect and direct_response actions are supported (not filter_action)");
        }
        HeaderMutationTranslator.Level own = HeaderMutationTranslator.level(rc, f, r.getRequestHeadersToAddList(),
                r.getRequestHeadersToRemoveList(), r.getResponseHeadersToAddList(), r.getResponseHeadersToRemoveList());
        HeaderMutations routeHeaders = enclosing.chain(own);
        RouteMatch m = r.getMatch();
        boolean cs = !m.hasCaseSensitive() || m.getCaseSensitive().getValue();
        PathMatch path;
        try {
            path = switch (m.getPathSpecifierCase()) {
                case PREFIX -> new PathMatch(PathMatch.Kind.PREFIX, m.getPrefix(), cs);
                case PATH -> new PathMatch(PathMatch.Kind.EXACT, m.getPath(), cs);
                case SAFE_REGEX -> new PathMatch(PathMatch.Kind.REGEX, m.getSafeRegex().getRegex(), cs);
                default -> throw invalid(rc, f + ".match", "path specifier " + m.getPathSpecifierCase() + " is not supported");
            };
        } catch (PatternSyntaxException e) {
            throw invalid(rc, f + ".match.safe_regex", "invalid regex: " + e.getDescription());
        }
        if (m.getQueryParametersCount() > 0 || m.hasGrpc() || m.hasTlsContext() || m.getDynamicMetadataCount() > 0
                || m.hasRuntimeFraction() || m.getFilterStateCount() > 0) {
            throw invalid(rc, f + ".match", "only path and header matches are supported");
        }
        List<HeaderMatch> headers = new ArrayList<>();
        for (int k = 0; k < m.getHeadersCount(); k++) {
            headers.add(header(rc, f + ".match.headers[" + k + "]", m.getHeaders(k)));
        }
        PerFilterConfigs filters = PerFilterConfigs.route(rc, f + ".typed_per_filter_config", r.getTypedPerFilterConfigMap(), vhCors);
        if (r.hasDirectResponse() || r.hasRedirect()) {
            return new RouteEntry(r.getName(), path, headers, List.of(), Duration.ZERO, RetryPolicy.NONE, "", "",
                    filters.fault(), List.of(), Optional.of(DirectResponse.of(rc, f, r, vhName)), OptionalLong.empty(),
                    RouteEntry.AttemptCount.NONE, routeHeaders, HashPolicy.NONE, Optional.empty(), filters.cors());
        }
        RouteAction a = r.getRoute();
        List<WeightedTarget> targets = new ArrayList<>();
        switch (a.getClusterSpecifierCase()) {
            case CLUSTER -> targets.add(new WeightedTarget(nonEmpty(rc, f + ".route.cluster", a.getCluster()), 1, routeHeaders));
            case WEIGHTED_CLUSTERS -> {
                for (int k = 0; k < a.getWeightedClusters().getClustersCount(); k++) {
                    var cw = a.getWeightedClusters().getClusters(k);
                    String cf = f + ".route.weighted_clusters.clusters[" + k + "]";
                    if (!cw.getClusterHeader().isEmpty() || cw.hasHostRewriteLiteral()) {
                        throw invalid(rc, cf, "only name, weight and header mutations are supported");
                    }
                    if (cw.getTypedPerFilterConfigCount() > 0) {
                        throw invalid(rc, cf + ".typed_per_filter_config", "per-cluster filter config is not supported");
                    }
                    HeaderMutationTranslator.Level cwHeaders = HeaderMutationTranslator.level(rc, cf,
                            cw.getRequestHeadersToAddList(), cw.getRequestHeadersToRemoveList(),
                            cw.getResponseHeadersToAddList(), cw.getResponseHeadersToRemoveList());
                    targets.add(new WeightedTarget(nonEmpty(rc, cf + ".name", cw.getName()),
                            cw.hasWeight() ? cw.getWeight().getValue() : 0, enclosing.chain(cwHeaders, own)));
                }
                if (targets.stream().mapToLong(WeightedTarget::weight).sum() <= 0) {
                    throw invalid(rc, f + ".route.weighted_clusters", "weights must not all be zero");
                }
            }
            default -> throw invalid(rc, f + ".route", "cluster specifier " + a.getClusterSpecifierCase() + " is not supported");
        }
        for (int k = 0; k < a.getRateLimitsCount(); k++) {
            remoteAddressOnly(rc, f + ".route.rate_limits[" + k + "]", a.getRateLimits(k));
        }
        if (a.hasCors()) {
            throw invalid(rc, f + ".route.cors", "the deprecated cors field is not supported; use typed_per_filter_config["
                    + CorsTranslator.FILTER + "]");
        }
        if (a.hasPathRewritePolicy() || a.hasHedgePolicy() || a.getUpgradeConfigsCount() > 0 || a.hasInternalRedirectPolicy()
                || a.hasIdleTimeout() || a.hasAutoHostRewrite() || a.hasHostRewriteHeader() || a.hasHostRewritePathRegex()
                || a.hasRetryPolicyTypedConfig() || a.hasMetadataMatch()) {
            throw invalid(rc, f + ".route", "only cluster(s), timeout, retry_policy, prefix_rewrite, regex_rewrite, "
                    + "host_rewrite_literal, request_mirror_policies, hash_policy and max_stream_duration (zero) are supported");
        }
        HashPolicy hashPolicy = HashPolicyTranslator.translate(rc, f + ".route.hash_policy", a.getHashPolicyList());
        if (a.hasMaxStreamDuration() && (a.getMaxStreamDuration().getMaxStreamDuration().getSeconds() > 0
                || a.getMaxStreamDuration().getMaxStreamDuration().getNanos() > 0)) {
            throw invalid(rc, f + ".route.max_stream_duration", "a non-zero max stream duration is not supported");
        }
        Duration timeout = a.hasTimeout() ? duration(a.getTimeout(), rc, f + ".route.timeout") : Duration.ofSeconds(15);
        RetryPolicy retry = a.hasRetryPolicy() ? retry(rc, f + ".route.retry_policy", a.getRetryPolicy()) : vhRetry;
        List<RouteEntry.MirrorPolicy> mirrors = new ArrayList<>();
        for (var mp : a.getRequestMirrorPoliciesList()) {
            if (mp.getCluster().isEmpty()) {
                throw invalid(rc, f + ".route.request_mirror_policies.cluster", "must name a cluster");
            }
            int permille = mp.hasRuntimeFraction() ? perMillion(mp.getRuntimeFraction().getDefaultValue()) : 1_000_000;
            mirrors.add(new RouteEntry.MirrorPolicy(mp.getCluster(), permille));
        }
        try {
            OptionalLong limit = r.hasPerRequestBufferLimitBytes()
                    ? OptionalLong.of(r.getPerRequestBufferLimitBytes().getValue() & 0xFFFF_FFFFL) : vhLimit;
            return new RouteEntry(r.getName(), path, headers, targets, timeout, retry, a.getPrefixRewrite(),
                    a.getHostRewriteLiteral(), filters.fault(), mirrors, Optional.empty(), limit, attempts, routeHeaders, hashPolicy,
                    regexRewrite(rc, f + ".route.regex_rewrite", a), filters.cors());
        } catch (IllegalArgumentException e) {
            throw invalid(rc, f, e.getMessage());
        }
    }

    private static Optional<RegexRewrite> regexRewrite(String rc, String f, RouteAction a) throws InvalidResourceException {
        if (!a.hasRegexRewrite()) {
            return Optional.empty();
        }
        if (!a.getPrefixRewrite().isEmpty()) {
            throw invalid(rc, f, "prefix_rewrite and regex_rewrite cannot both be set");
        }
        try {
            return Optional.of(new RegexRewrite(a.getRegexRewrite().getPattern().getRegex(), a.getRegexRewrite().getSubstitution()));
        } catch (PatternSyntaxException e) {
            throw invalid(rc, f + ".pattern.regex", "invalid regex: " + e.getDescription());
        } catch (IllegalArgumentException e) {
            throw invalid(rc, f + ".substitution", e.getMessage());
        }
    }

    /** A fraction as parts per million, at most a million. */
    static int perMillion(FractionalPercent p) {
        long n = p.getNumerator();
        long v = switch (p.getDenominator()) {
            case HUNDRED -> n * 10_000;
            case TEN_THOUSAND -> n * 100;
            default -> n;
        };
        return (int) Math.min(1_000_000, v);
    }

    private static RetryPolicy retry(String rc, String f, io.envoyproxy.envoy.config.route.v3.RetryPolicy p)
            throws InvalidResourceException {
        Set<RetryPolicy.RetryOn> on = EnumSet.noneOf(RetryPolicy.RetryOn.class);
        for (String token : p.getRetryOn().split(",")) {
            String t = token.trim();
            if (t.isEmpty()) {
                continue;
            }
            on.add(RetryPolicy.RetryOn.of(t).orElseThrow(() -> invalid(rc, f + ".retry_on", "unknown condition '" + t + "'")));
        }
        if (p.hasRetryPriority()) {
            throw invalid(rc, f + ".retry_priority", "retry priority plugins are not supported (previous hosts already move to the next priority)");
        }
        if (p.getRetryOptionsPredicatesCount() > 0 || p.getRetriableHeadersCount() > 0
                || p.getRetriableRequestHeadersCount() > 0 || p.hasRateLimitedRetryBackOff() || p.hasPerTryIdleTimeout()) {
            throw invalid(rc, f, "retry options predicates, retriable headers, rate-limited backoff and per-try idle timeout are not supported");
        }
        boolean previousHosts = false;
        for (var pred : p.getRetryHostPredicateList()) {
            if (!pred.getName().equals(PREVIOUS_HOSTS)
                    && !pred.getTypedConfig().getTypeUrl().endsWith("envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate")) {
                throw invalid(rc, f + ".retry_host_predicate", "only " + PREVIOUS_HOSTS + " is supported, got " + pred.getName());
            }
            previousHosts = true;
        }
        Set<Integer> codes = new HashSet<>(p.getRetriableStatusCodesList());
        Duration base = Duration.ofMillis(25);
        Duration max = null;
        if (p.hasRetryBackOff()) {
            var b = p.getRetryBackOff();
            if (b.hasBaseInterval()) {
                base = duration(b.getBaseInterval(), rc, f + ".retry_back_off.base_interval");
            }
            if (b.hasMaxInterval()) {
                max = duration(b.getMaxInterval(), rc, f + ".retry_back_off.max_interval");
            }
        }
        if (max == null) {
            max = base.multipliedBy(10);
        }
        Optional<Duration> perTry = p.hasPerTryTimeout()
                ? Optional.of(duration(p.getPerTryTimeout(), rc, f + ".per_try_timeout"))
                        .filter(d -> !d.isZero())
                : Optional.empty();
        try {
            return new RetryPolicy(on, codes, p.hasNumRetries() ? p.getNumRetries().getValue() : 1, perTry, base, max,
                    previousHosts, Math.max(1, (int) p.getHostSelectionRetryMaxAttempts()));
        } catch (IllegalArgumentException e) {
            throw invalid(rc, f, e.getMessage());
        }
    }

    private static HeaderMatch header(String rc, String f, HeaderMatcher h) throws InvalidResourceException {
        String n = h.getName();
        if (n.isEmpty()) {
            throw invalid(rc, f + ".name", "must not be empty");
        }
        boolean inv = h.getInvertMatch();
        try {
            return switch (h.getHeaderMatchSpecifierCase()) {
                case EXACT_MATCH -> new HeaderMatch(n, HeaderMatch.Kind.EXACT, h.getExactMatch(), inv);
                case PREFIX_MATCH -> new HeaderMatch(n, HeaderMatch.Kind.PREFIX, h.getPrefixMatch(), inv);
                case SUFFIX_MATCH -> new HeaderMatch(n, HeaderMatch.Kind.SUFFIX, h.getSuffixMatch(), inv);
                case CONTAINS_MATCH -> new HeaderMatch(n, HeaderMatch.Kind.CONTAINS, h.getContainsMatch(), inv);
                case SAFE_REGEX_MATCH -> new HeaderMatch(n, HeaderMatch.Kind.REGEX, h.getSafeRegexMatch().getRegex(), inv);
                case PRESENT_MATCH -> new HeaderMatch(n, h.getPresentMatch() ? HeaderMatch.Kind.PRESENT : HeaderMatch.Kind.ABSENT, "", inv);
                case STRING_MATCH -> {
                    var sm = h.getStringMatch();
                    if (sm.getIgnoreCase()) {
                        throw invalid(rc, f + ".string_match.ignore_case", "not supported");
                    }
                    yield switch (sm.getMatchPatternCase()) {
                        case EXACT -> new HeaderMatch(n, HeaderMatch.Kind.EXACT, sm.getExact(), inv);
                        case PREFIX -> new HeaderMatch(n, HeaderMatch.Kind.PREFIX, sm.getPrefix(), inv);
                        case SUFFIX -> new HeaderMatch(n, HeaderMatch.Kind.SUFFIX, sm.getSuffix(), inv);
                        case CONTAINS -> new HeaderMatch(n, HeaderMatch.Kind.CONTAINS, sm.getContains(), inv);
                        case SAFE_REGEX -> new HeaderMatch(n, HeaderMatch.Kind.REGEX, sm.getSafeRegex().getRegex(), inv);
                        default -> throw invalid(rc, f + ".string_match", "matcher " + sm.getMatchPatternCase() + " is not supported");
                    };
                }
                default -> throw invalid(rc, f, "header matcher " + h.getHeaderMatchSpecifierCase() + " is not supported");
            };
        } catch (PatternSyntaxException e) {
            throw invalid(rc, f, "invalid regex: " + e.getDescription());
        }
    }

    private static String nonEmpty(String rc, String f, String v) throws InvalidResourceException {
        if (v.isEmpty()) {
            throw invalid(rc, f, "must not be empty");
        }
        return v;
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.ROUTE, name, field, reason);
    }

    private static Duration duration(com.google.protobuf.Duration d, String name, String field) throws InvalidResourceException {
        return ResourceDurations.of(d, TypeUrls.ROUTE, name, field);
    }
}
