package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.isthmus.controller.config.ConfigException;
import io.isthmus.controller.config.ConfigFiles;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bad Istio config gets a clear answer and breaks nothing else: thousands of randomly mutated copies of realistic
 * VirtualServices, DestinationRules, Gateways, ServiceEntries, PeerAuthentications, AuthorizationPolicies, Sidecars
 * and MeshConfigs (the {@code mesh} key of ConfigMap {@code istio}) are applied, a few at a time, to one config registry. Each must be accepted or refused with a
 * {@link ConfigException} naming the resource and the field; and whatever was accepted must still translate, for a
 * sidecar and for an ingress gateway, without an exception. Seeded, so a failure is reproducible.
 */
class ConfigFuzzTest {

    private static final int CASES = Integer.getInteger("fuzz.cases", 6_000);
    private static final int PER_REGISTRY = 12;
    private static final long SEED = 0x15_7A_05L;
    private static final String[] STRINGS = {"", "*", "reviews", "reviews.default.svc.cluster.local", "v1", "v2",
            "default/reviews", "./reviews", "*/reviews", "mesh", "1s", "250ms", "-1s", "1.5", "0s", "99999999999h",
            "ISTIO_MUTUAL", "DISABLE", "STRICT", "PERMISSIVE", "SIMPLE", "HTTPS", "TCP", "http", "GET", "^(", "[a-z",
            "10.0.0.0/8", "300.1.1.1/40", "spiffe://cluster.local/ns/default/sa/a", "cluster.local/ns/default/sa/*",
            "5xx,reset", "x|y", "_.", "ALLOW", "DENY", "us-east/us-east-a/*", "us-west", "istio-ingressgateway"};

    @Test
    void mutatedConfigIsAcceptedOrRefusedByFieldAndWhatIsAcceptedTranslates() {
        List<GenericKubernetesResource> seeds = ConfigFiles.parse(SEEDS, "seeds");
        InMemoryRegistry services = new InMemoryRegistry();
        services.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"),
                        endpoint("10.1.0.11", "east", "net-east", EAST_B, EndpointHealth.HEALTHY, "v2"))));
        services.putService(new ClusterService("west", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.2.0.10", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1"))));
        ProxyView sidecar = sidecar("10.1.0.5", "east", "net-east", EAST_A);
        ProxyView ingress = GatewayTranslationTest.ingress("ingressgateway", null, null);

        ConfigRegistry seeded = new ConfigRegistry("isthmus-system");
        for (GenericKubernetesResource s : seeds) {
            assertThat(seeded.upsert("seed", s)).as("seed %s", s.getKind()).isNull();
        }
        assertThat(seeded.upsert("seed", meshConfig(new Random(), 0))).as("seed MeshConfig").isNull();
        MeshTranslator check = translator(services, seeded);
        assertThat(check.resourcesFor(sidecar).routes()).as("the seeds configure the sidecar").isNotEmpty();

        Random random = new Random(SEED);
        Map<String, String> failures = new LinkedHashMap<>();
        int refused = 0;
        ConfigRegistry config = null;
        MeshTranslator translator = null;
        for (int i = 0; i < CASES; i++) {
            if (i % PER_REGISTRY == 0) {
                config = new ConfigRegistry("isthmus-system");
                translator = translator(services, config);
            }
            GenericKubernetesResource r = random.nextInt(seeds.size() + 1) == 0 ? meshConfig(random, 1 + random.nextInt(3))
                    : mutate(seeds.get(random.nextInt(seeds.size())), random);
            String step = "apply";
            try {
                ConfigException e = config.upsert("fuzz", r);
                if (e != null) {
                    refused++;
                    assertThat(e.field()).as("the field of %s", e.getMessage()).isNotNull();
                    assertThat(e.getMessage()).startsWith(e.resource().toString());
                }
                translator.invalidate();
                step = "translate for a sidecar";
                translator.resourcesFor(sidecar);
                step = "translate for an ingress gateway";
                translator.resourcesFor(ingress);
            } catch (RuntimeException | StackOverflowError e) {
                StackTraceElement ours = java.util.Arrays.stream(e.getStackTrace())
                        .filter(f -> f.getClassName().startsWith("io.isthmus.")).findFirst().orElse(null);
                failures.putIfAbsent(step + ": " + e.getClass().getSimpleName() + " at " + ours,
                        e + "\n  for " + abbreviate(String.valueOf(r.getAdditionalProperties())));
            }
        }
        System.out.printf("config: %d mutated resources, %d refused by field%n", CASES, refused);
        assertThat(failures).as("mutated config that failed otherwise than by a refusal naming the field").isEmpty();
        assertThat(refused).as("mutations refused (the mutator reaches the checks)").isGreaterThan(CASES / 10);
    }

    private static String abbreviate(String s) {
        return s.length() > 1500 ? s.substring(0, 1500) + "..." : s;
    }

    // ---- the mutator: the resource's tree of maps, lists and scalars ----

    private static GenericKubernetesResource mutate(GenericKubernetesResource seed, Random random) {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion(seed.getApiVersion());
        r.setKind(seed.getKind());
        r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder(seed.getMetadata()).build());
        Map<String, Object> props = new LinkedHashMap<>();
        seed.getAdditionalProperties().forEach((k, v) -> props.put(k, copy(v)));
        Object edited = props;
        int edits = 1 + random.nextInt(3);
        for (int i = 0; i < edits; i++) {
            edited = edit(edited, random, 0);
        }
        if (edited instanceof Map<?, ?> m) {
            m.forEach((k, v) -> r.setAdditionalProperty(String.valueOf(k), v));
        }
        return r;
    }

    /** The MeshConfig (ConfigMap {@code istio}) with a mutated copy of {@link #MESH} as its {@code mesh} key. */
    @SuppressWarnings("unchecked")
    private static GenericKubernetesResource meshConfig(Random random, int edits) {
        Object mesh = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(MESH, Map.class);
        for (int i = 0; i < edits; i++) {
            mesh = edit(mesh, random, 0);
        }
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion("v1");
        r.setKind("ConfigMap");
        r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("istio").withNamespace("isthmus-system").build());
        r.setAdditionalProperty("data", Map.of("mesh", io.fabric8.kubernetes.client.utils.Serialization.asYaml(mesh)));
        return r;
    }

    private static final String MESH = """
            defaultHttpRetryPolicy: {attempts: 3, perTryTimeout: 1s, retryOn: "5xx,reset"}
            enableAutoMtls: true
            connectTimeout: 2s
            h2UpgradePolicy: DO_NOT_UPGRADE
            localityLbSetting:
              enabled: true
              failover: [{from: us-east, to: us-west}]
            outboundTrafficPolicy: {mode: ALLOW_ANY}
            gatewayTopology: {numTrustedProxies: 1}
            """;

    private static Object copy(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(k, copy(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(copy(x)));
            return out;
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    private static Object edit(Object node, Random random, int depth) {
        if (node instanceof Map<?, ?> m && !m.isEmpty() && depth < 12 && random.nextInt(5) != 0) {
            Map<Object, Object> out = new LinkedHashMap<>((Map<Object, Object>) m);
            Object key = new ArrayList<>(out.keySet()).get(random.nextInt(out.size()));
            switch (random.nextInt(10)) {
                case 0 -> out.remove(key);
                case 1 -> out.put(pick(random), copy(out.get(key)));
                default -> out.put(key, edit(out.get(key), random, depth + 1));
            }
            return out;
        }
        if (node instanceof List<?> l && !l.isEmpty() && depth < 12 && random.nextInt(5) != 0) {
            List<Object> out = new ArrayList<>(l);
            int i = random.nextInt(out.size());
            switch (random.nextInt(8)) {
                case 0 -> out.remove(i);
                case 1 -> out.add(copy(out.get(i)));
                default -> out.set(i, edit(out.get(i), random, depth + 1));
            }
            return out;
        }
        return switch (random.nextInt(14)) {
            case 0 -> null;
            case 1, 2, 3 -> pick(random);
            case 4 -> random.nextBoolean() ? -1 : 0;
            case 5 -> random.nextBoolean() ? Integer.MAX_VALUE : Long.MAX_VALUE;
            case 6 -> random.nextInt(70_000);
            case 7 -> random.nextBoolean();
            case 8 -> random.nextBoolean() ? 1.5 : Double.NaN;
            case 9 -> new LinkedHashMap<>();
            case 10 -> new ArrayList<>();
            case 11 -> new ArrayList<>(List.of(node == null ? "x" : node));
            case 12 -> new LinkedHashMap<>(Map.of(pick(random), node == null ? "x" : node));
            default -> "x".repeat(random.nextInt(5_000));
        };
    }

    private static String pick(Random random) {
        return STRINGS[random.nextInt(STRINGS.length)];
    }

    private static final String SEEDS = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              gateways: [mesh, default/public]
              http:
              - name: jason
                match:
                - uri: {prefix: /api}
                  headers: {x-user: {exact: jason}}
                  method: {exact: GET}
                  port: 9080
                route:
                - destination: {host: reviews, subset: v2}
                timeout: 2s
                corsPolicy:
                  allowOrigins: [{exact: "https://shop.example.com"}, {prefix: "https://beta."}, {regex: "https://.*[.]example[.]org"}]
                  allowMethods: [GET, POST]
                  allowHeaders: [x-user, content-type]
                  exposeHeaders: [x-request-id]
                  maxAge: 24h
                  allowCredentials: true
                  unmatchedPreflights: IGNORE
              - route:
                - destination: {host: reviews, subset: v1, port: {number: 9080}}
                  weight: 90
                - destination: {host: reviews, subset: v2}
                  weight: 10
                retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,connect-failure"}
                fault:
                  delay: {fixedDelay: 100ms, percentage: {value: 10}}
                  abort: {httpStatus: 503, percentage: {value: 0.5}}
                rewrite: {uri: /v2, authority: reviews-internal}
                mirror: {host: reviews, subset: v1}
                mirrorPercentage: {value: 20}
                headers:
                  request: {set: {x-env: prod}, add: {x-via: "%DOWNSTREAM_LOCAL_PORT%"}, remove: [x-debug]}
                  response: {set: {cache-control: no-store}}
              - match: [{uri: {exact: /maintenance}}]
                directResponse: {status: 503, body: {string: back soon}}
              - match: [{uri: {prefix: /old}}]
                redirect: {uri: /new, authority: reviews.example.com, scheme: https, redirectCode: 308}
                corsPolicy: {allowOrigin: ["https://legacy.example.com"]}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool:
                  tcp: {maxConnections: 100, connectTimeout: 2s}
                  http: {http1MaxPendingRequests: 50, http2MaxRequests: 200, maxRequestsPerConnection: 10, maxRetries: 3, idleTimeout: 60s, h2UpgradePolicy: UPGRADE}
                outlierDetection: {consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, interval: 5s, baseEjectionTime: 30s, maxEjectionPercent: 50}
                loadBalancer:
                  simple: LEAST_REQUEST
                  localityLbSetting:
                    enabled: true
                    failover: [{from: us-east, to: us-west}]
                tls: {mode: ISTIO_MUTUAL}
              subsets:
              - name: v1
                labels: {version: v1}
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  loadBalancer: {simple: ROUND_ROBIN}
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: public
              namespace: default
              annotations: {isthmus.io/max-connections: "100", isthmus.io/rate-limit-per-client: "10/s"}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: ["*"]
              - port: {number: 8443, name: https, protocol: HTTPS}
                hosts: [reviews.example.com]
                tls: {mode: SIMPLE, credentialName: reviews-cert}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api, namespace: default}
            spec:
              hosts: [api.example.com]
              location: MESH_EXTERNAL
              resolution: DNS
              ports:
              - {number: 443, name: https, protocol: TLS}
            ---
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: reviews, namespace: default}
            spec:
              selector: {matchLabels: {app: reviews}}
              mtls: {mode: STRICT}
              portLevelMtls:
                9080: {mode: PERMISSIVE}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: reviews, namespace: default}
            spec:
              selector: {matchLabels: {app: reviews}}
              action: ALLOW
              rules:
              - from:
                - source: {principals: ["cluster.local/ns/default/sa/productpage"], namespaces: [default], ipBlocks: [10.0.0.0/8]}
                to:
                - operation: {methods: [GET], paths: ["/reviews/*"], ports: ["9080"], hosts: [reviews]}
                when:
                - key: request.headers[x-token]
                  values: [abc]
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: default}
            spec:
              egress:
              - hosts: ["./*", "isthmus-system/*"]
              outboundTrafficPolicy: {mode: REGISTRY_ONLY}
            """;
}
