package io.isthmus.controller.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigParserTest {

    static MeshResource parse(String yaml) {
        return ConfigParser.parse(ConfigFiles.parse(yaml, "test").get(0), "default");
    }

    static void rejects(String yaml, String field, String reason) {
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(ConfigException.class)
                .satisfies(e -> {
                    ConfigException c = (ConfigException) e;
                    assertThat(c.field()).isEqualTo(field);
                    assertThat(c.reason()).contains(reason);
                    assertThat(c.getMessage()).startsWith(c.resource().toString());
                });
    }

    @Test
    void virtualServiceWithWeightsMatchesRetriesAndTimeout() {
        VirtualService vs = (VirtualService) parse("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - match:
                    - uri: {prefix: /api}
                      headers:
                        X-User: {exact: jason}
                    route:
                    - destination: {host: reviews, subset: v2}
                    timeout: 2s
                  - route:
                    - destination: {host: reviews, subset: v1, port: {number: 9080}}
                      weight: 90
                    - destination: {host: reviews, subset: v2}
                      weight: 10
                    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,connect-failure"}
                """);
        assertThat(vs.hosts()).containsExactly("reviews.default.svc.cluster.local");
        assertThat(vs.gateways()).containsExactly("mesh");
        assertThat(vs.http()).hasSize(2);
        VirtualService.HttpRoute first = vs.http().get(0);
        assertThat(first.match().get(0).uri()).contains(new StringMatch(StringMatch.Kind.PREFIX, "/api"));
        assertThat(first.match().get(0).headers()).containsEntry("x-user", new StringMatch(StringMatch.Kind.EXACT, "jason"));
        assertThat(first.timeout()).contains(Duration.ofSeconds(2));
        assertThat(first.route()).singleElement().satisfies(r -> assertThat(r.weight()).isEqualTo(100));
        VirtualService.HttpRoute second = vs.http().get(1);
        assertThat(second.route()).extracting(VirtualService.RouteDestination::weight).containsExactly(90, 10);
        assertThat(second.route().get(0).destination())
                .isEqualTo(new VirtualService.Destination("reviews.default.svc.cluster.local", "v1", 9080));
        assertThat(second.retries()).hasValueSatisfying(r -> {
            assertThat(r.attempts()).isEqualTo(3);
            assertThat(r.perTryTimeout()).contains(Duration.ofMillis(500));
        });
    }

    @Test
    void virtualServiceRejections() {
        String head = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: default}\n";
        rejects(head + """
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - destination: {host: reviews, subset: v1}
                      weight: 90
                    - destination: {host: reviews, subset: v2}
                      weight: 20
                """, "spec.http[0].route", "weights must add up to 100, got 110");
        rejects(head + """
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - destination: {host: reviews}
                    delegate: {name: reviews-v2}
                """, "spec.http[0].delegate", "field not supported");
        rejects(head + """
                spec:
                  hosts: [reviews]
                  tcp: []
                """, "spec.http", "at least one HTTP, TLS or TCP route is required");
        rejects(head + """
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - destination: {host: reviews}
                    timeout: soon
                """, "spec.http[0].timeout", "must be a duration");
        rejects(head + """
                spec:
                  hosts: [reviews]
                  http:
                  - match:
                    - uri: {prefix: /a, exact: /b}
                    route:
                    - destination: {host: reviews}
                """, "spec.http[0].match[0].uri", "exactly one of exact, prefix, regex");
        rejects(head + """
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - destination: {host: reviews}
                    retries: {attempts: 2, retryOn: "sometimes"}
                """, "spec.http[0].retries.retryOn", "unknown retry condition 'sometimes'");
        rejects(head + "spec:\n  http: []\n", "spec.hosts", "at least one host");
    }

    @Test
    void destinationRuleWithSubsetsLocalityOutlierAndPool() {
        DestinationRule dr = (DestinationRule) parse("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews.default.svc.cluster.local
                  trafficPolicy:
                    loadBalancer:
                      simple: LEAST_REQUEST
                      localityLbSetting:
                        enabled: true
                        failoverPriority: [topology.istio.io/network, topology.kubernetes.io/region]
                    outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 15s, maxEjectionPercent: 100}
                    connectionPool:
                      tcp: {maxConnections: 100, connectTimeout: 500ms}
                      http: {http1MaxPendingRequests: 10, maxRetries: 3}
                  subsets:
                  - name: v1
                    labels: {version: v1}
                  - name: v2
                    labels: {version: v2}
                    trafficPolicy:
                      loadBalancer: {simple: RANDOM}
                """);
        assertThat(dr.subsets()).extracting(DestinationRule.Subset::name).containsExactly("v1", "v2");
        TrafficPolicy p = dr.trafficPolicy();
        assertThat(p.loadBalancer().orElseThrow().simple()).isEqualTo(TrafficPolicy.Simple.LEAST_REQUEST);
        assertThat(p.loadBalancer().orElseThrow().locality().orElseThrow().failoverPriority())
                .containsExactly("topology.istio.io/network", "topology.kubernetes.io/region");
        assertThat(p.outlierDetection().orElseThrow().consecutive5xxErrors()).isEqualTo(3);
        assertThat(p.connectionPool().orElseThrow().connectTimeout()).contains(Duration.ofMillis(500));
        assertThat(dr.policyFor("v2").loadBalancer().orElseThrow().simple()).isEqualTo(TrafficPolicy.Simple.RANDOM);
        assertThat(dr.policyFor("v2").outlierDetection()).isEqualTo(p.outlierDetection());
        assertThat(dr.policyFor("v1")).isEqualTo(p);
    }

    @Test
    void destinationRuleRejections() {
        String head = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r, namespace: default}\n";
        rejects(head + """
                spec:
                  host: reviews
                  trafficPolicy:
                    loadBalancer: {simple: FASTEST}
                """, "spec.trafficPolicy.loadBalancer.simple", "must be one of");
        rejects(head + """
                spec:
                  host: reviews
                  trafficPolicy:
                    loadBalancer:
                      warmupDurationSecs: 60s
                """, "spec.trafficPolicy.loadBalancer.warmupDurationSecs", "field not supported");
        rejects(head + """
                spec:
                  host: reviews
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: v1, labels: {version: v2}}
                """, "spec.subsets[1].name", "duplicate subset v1");
        rejects(head + """
                spec:
                  host: reviews
                  trafficPolicy:
                    outlierDetection: {maxEjectionPercent: 150}
                """, "spec.trafficPolicy.outlierDetection.maxEjectionPercent", "must be 0..100");
    }

    @Test
    void serviceEntrySidecarAndPeerAuthentication() {
        ServiceEntry se = (ServiceEntry) parse("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: ext, namespace: default}
                spec:
                  hosts: [api.example.com]
                  ports: [{number: 443, name: https, protocol: TLS}]
                  location: MESH_EXTERNAL
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.9}]
                """);
        assertThat(se.resolution()).isEqualTo(ServiceEntry.Resolution.STATIC);
        assertThat(se.endpoints()).singleElement().satisfies(e -> assertThat(e.address()).isEqualTo("127.0.0.9"));

        Sidecar sc = (Sidecar) parse("""
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: default, namespace: shop}
                spec:
                  egress:
                  - hosts: ["./*", "isthmus-system/*", "*/reviews.default.svc.cluster.local"]
                  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
                """);
        assertThat(sc.allows("shop", "shop", "cart.shop.svc.cluster.local")).isTrue();
        assertThat(sc.allows("shop", "default", "reviews.default.svc.cluster.local")).isTrue();
        assertThat(sc.allows("shop", "default", "ratings.default.svc.cluster.local")).isFalse();
        assertThat(sc.outboundTrafficPolicy()).contains(Sidecar.OutboundTrafficPolicy.REGISTRY_ONLY);

        PeerAuthentication pa = (PeerAuthentication) parse("""
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: p, namespace: default}
                spec:
                  selector: {matchLabels: {app: reviews}}
                  mtls: {mode: STRICT}
                  portLevelMtls:
                    "9080": {mode: PERMISSIVE}
                """);
        assertThat(pa.modeFor(9080)).isEqualTo(PeerAuthentication.Mode.PERMISSIVE);
        assertThat(pa.modeFor(80)).isEqualTo(PeerAuthentication.Mode.STRICT);
        rejects("""
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: p, namespace: default}
                spec:
                  mtls: {mode: SOMETIMES}
                """, "spec.mtls.mode", "must be one of");
        rejects("""
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: p, namespace: default}
                spec:
                  egress: [{hosts: [reviews]}]
                """, "spec.egress[0].hosts[0]", "must be namespace/host");
    }

    @Test
    void authorizationPolicies() {
        AuthorizationPolicy ap = (AuthorizationPolicy) parse("""
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: deny-east, namespace: default}
                spec:
                  selector: {matchLabels: {app: reviews}}
                  action: DENY
                  rules:
                  - from:
                    - source: {principals: ["cluster.local/ns/default/sa/productpage"], ipBlocks: ["10.1.0.0/16"]}
                    to:
                    - operation: {methods: [GET], paths: ["/reviews*"], ports: ["9080"]}
                    when:
                    - key: request.headers[x-canary]
                      values: ["true"]
                """);
        assertThat(ap.action()).isEqualTo(AuthorizationPolicy.Action.DENY);
        AuthorizationPolicy.Rule rule = ap.rules().get(0);
        assertThat(rule.from().get(0).principals()).containsExactly("cluster.local/ns/default/sa/productpage");
        assertThat(rule.to().get(0).paths()).containsExactly("/reviews*");
        assertThat(rule.when().get(0).headerName()).isEqualTo("x-canary");
        assertThat(AuthorizationPolicy.matchesValue("/reviews*", "/reviews/1")).isTrue();
        assertThat(AuthorizationPolicy.matchesValue("*.local", "a.local")).isTrue();

        String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a, namespace: default}\n";
        rejects(head + "spec:\n  action: CUSTOM\n", "spec.action", "must be one of");
        rejects(head + "spec:\n  rules:\n  - from:\n    - source: {requestPrincipals: [\"*\"]}\n",
                "spec.rules[0].from[0].source.requestPrincipals", "field not supported");
        rejects(head + "spec:\n  rules:\n  - when:\n    - {key: \"request.auth.claims[iss]\", values: [x]}\n",
                "spec.rules[0].when[0].key", "unsupported condition key");
        rejects(head + "spec:\n  rules:\n  - to:\n    - operation: {ports: [\"http\"]}\n",
                "spec.rules[0].to[0].operation.ports[0]", "not a port number");
        rejects(head + "spec:\n  rules:\n  - from:\n    - source: {ipBlocks: [\"ten.one\"]}\n",
                "spec.rules[0].from[0].source.ipBlocks[0]", "not an IP address");
    }

    @Test
    void kindAndVersionChecks() {
        rejects("apiVersion: networking.istio.io/v1\nkind: EnvoyFilter\nmetadata: {name: g}\nspec: {}\n", "kind", "unsupported kind");
        rejects("apiVersion: networking.istio.io/v2\nkind: VirtualService\nmetadata: {name: g}\nspec: {}\n", "apiVersion", "must be networking.istio.io/v1");
    }

    @Test
    void registryKeepsLastGoodVersionAndReportsRejection() {
        ConfigRegistry reg = new ConfigRegistry("isthmus-system");
        List<MeshConfig> snapshots = new java.util.concurrent.CopyOnWriteArrayList<>();
        reg.addListener(snapshots::add);
        String good = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r, namespace: default}\n"
                + "spec:\n  host: reviews\n  subsets: [{name: v1, labels: {version: v1}}]\n";
        String bad = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r, namespace: default}\n"
                + "spec:\n  host: reviews\n  subsets: [{name: v1, labels: {version: v1}}, {name: v2}]\n";
        assertThat(reg.upsert("east", ConfigFiles.parse(good, "t").get(0))).isNull();
        assertThat(reg.upsert("east", ConfigFiles.parse(bad, "t").get(0))).isNotNull();
        assertThat(reg.rejected()).singleElement().satisfies(e -> assertThat(e.field()).isEqualTo("spec.subsets[1].labels"));
        assertThat(reg.rejectionsTotal()).isEqualTo(1);
        assertThat(reg.current().destinationRuleFor("reviews.default.svc.cluster.local", "default"))
                .hasValueSatisfying(dr -> assertThat(dr.subsets()).hasSize(1));
        assertThat(snapshots).hasSize(1);
        reg.delete("east", new ResourceRef("DestinationRule", "default", "r"));
        assertThat(reg.current().resources()).isEmpty();
        assertThat(reg.rejected()).isEmpty();
        assertThat(reg.current().mtlsModeFor("default", Map.of(), 9080)).isEqualTo(PeerAuthentication.Mode.STRICT);
    }
}
