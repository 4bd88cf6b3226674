package io.isthmus.controller.config;

import static io.isthmus.controller.config.ConfigParserTest.parse;
import static io.isthmus.controller.config.ConfigParserTest.rejects;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.pem.Pem;
import io.isthmus.trust.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gateway, VirtualService gateway bindings and TLS routes, and credential Secrets: parsing and rejection. */
class GatewayConfigTest {

    static final String GW = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: public
              namespace: istio-system
              annotations:
                isthmus.io/max-request-headers-kb: "32"
                isthmus.io/rate-limit-per-client: "10/s"
                isthmus.io/max-connections: "100"
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: ["*"]
                tls: {httpsRedirect: true}
              - port: {number: 8443, name: https, protocol: HTTPS}
                hosts: ["default/a.example.com", "b.example.com"]
                tls: {mode: SIMPLE, credentialName: a-cert}
              - port: {number: 9443, name: mtls, protocol: HTTPS}
                hosts: ["./c.example.com"]
                tls: {mode: MUTUAL, credentialName: c-cert}
              - port: {number: 9444, name: tls, protocol: TLS}
                hosts: ["*.pass.example.com"]
                tls: {mode: PASSTHROUGH}
            """;

    @TempDir
    Path dir;

    @Test
    void gatewayWithEveryServerKindAndAnnotations() {
        Gateway g = (Gateway) parse(GW);
        assertThat(g.selects(Map.of("istio", "ingressgateway", "app", "x"))).isTrue();
        assertThat(g.selects(Map.of("istio", "egressgateway"))).isFalse();
        assertThat(g.servers()).hasSize(4);
        Gateway.Server http = g.servers().get(0);
        assertThat(http.port()).isEqualTo(new Gateway.Port(8080, "http", Gateway.Protocol.HTTP));
        assertThat(http.httpsRedirect()).isTrue();
        assertThat(http.tlsMode()).isEqualTo(Gateway.TlsMode.NONE);
        Gateway.Server https = g.servers().get(1);
        assertThat(https.hostNames()).containsExactly("a.example.com", "b.example.com");
        assertThat(https.accepts("default", "istio-system", "a.example.com")).isTrue();
        assertThat(https.accepts("other", "istio-system", "a.example.com")).isFalse();
        assertThat(https.accepts("other", "istio-system", "b.example.com")).isTrue();
        assertThat(https.credentialName()).isEqualTo("a-cert");
        assertThat(g.servers().get(2).tlsMode()).isEqualTo(Gateway.TlsMode.MUTUAL);
        assertThat(g.servers().get(2).accepts("istio-system", "istio-system", "c.example.com")).isTrue();
        assertThat(g.servers().get(2).accepts("default", "istio-system", "c.example.com")).isFalse();
        assertThat(g.servers().get(3).tlsMode()).isEqualTo(Gateway.TlsMode.PASSTHROUGH);
        assertThat(g.limits().maxRequestHeadersKb()).isEqualTo(32);
        assertThat(g.limits().ratePerClient()).contains(new Gateway.RateLimit(10, Duration.ofSeconds(1)));
        assertThat(g.limits().maxConnections()).hasValue(100);
        Gateway plain = (Gateway) parse(GW.replaceAll("(?s)  annotations:.*?spec:", "spec:"));
        assertThat(plain.limits()).isEqualTo(Gateway.Limits.DEFAULT);
    }

    @Test
    void gatewayRejectionsNameTheField() {
        rejects(GW.replace("protocol: TLS", "protocol: MONGO"), "spec.servers[3].port.protocol", "not supported: MONGO");
        rejects(GW.replace("{mode: SIMPLE, credentialName: a-cert}", "{mode: SIMPLE}"),
                "spec.servers[1].tls.credentialName", "required for mode SIMPLE");
        rejects(GW.replace("{mode: PASSTHROUGH}", "{mode: SIMPLE, credentialName: x}"),
                "spec.servers[3].tls.mode", "only PASSTHROUGH");
        rejects(GW.replace("{mode: MUTUAL, credentialName: c-cert}", "{mode: MUTUAL, credentialName: c, serverCertificate: /a}"),
                "spec.servers[2].tls.serverCertificate", "field not supported");
        rejects(GW.replace("{mode: PASSTHROUGH}", "{mode: AUTO_PASSTHROUGH}"), "spec.servers[3].tls.mode", "not supported");
        rejects(GW.replace("\"10/s\"", "\"10/h\""), "metadata.annotations[isthmus.io/rate-limit-per-client]", "<n>/s or <n>/m");
        rejects(GW.replace("\"32\"", "\"big\""), "metadata.annotations[isthmus.io/max-request-headers-kb]", "integer");
        rejects(GW.replace("\"100\"", "\"0\""), "metadata.annotations[isthmus.io/max-connections]", "integer 1..");
        rejects(GW.replace("{number: 8080, name: http, protocol: HTTP}", "{number: 8080, protocol: HTTP}"),
                "spec.servers[0].port.name", "required");
        rejects(GW.replace("tls: {httpsRedirect: true}", "tls: {mode: SIMPLE, credentialName: a}"),
                "spec.servers[0].tls.mode", "use protocol HTTPS");
        rejects(GW.replace("selector: {istio: ingressgateway}", "selector: {istio: ingressgateway}\n  bogus: 1"),
                "spec.bogus", "field not supported");
    }

    @Test
    void virtualServiceGatewayBindingsMatchGatewaysAndTlsRoutes() {
        VirtualService vs = (VirtualService) parse("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: front, namespace: default}
                spec:
                  hosts: [a.example.com]
                  gateways: [mesh, istio-system/public, local]
                  http:
                  - match:
                    - uri: {prefix: /egress}
                      gateways: [mesh]
                    route:
                    - destination: {host: egress.istio-system.svc.cluster.local, port: {number: 443}}
                  - match:
                    - gateways: [istio-system/public]
                      port: 8080
                    route:
                    - destination: {host: reviews}
                  tls:
                  - match:
                    - sniHosts: [a.example.com]
                      port: 9444
                    route:
                    - destination: {host: reviews, port: {number: 9443}}
                """);
        assertThat(vs.boundTo("istio-system", "public")).isTrue();
        assertThat(vs.boundTo("default", "local")).isTrue();
        assertThat(vs.boundTo("istio-system", "local")).isFalse();
        assertThat(vs.boundTo("any", VirtualService.MESH)).isTrue();
        assertThat(vs.forGateway("istio-system", "public", 8080).http()).hasSize(1)
                .first().satisfies(r -> assertThat(r.route().get(0).destination().host())
                        .isEqualTo("reviews.default.svc.cluster.local"));
        assertThat(vs.forGateway("istio-system", "public", 8443).http()).isEmpty();
        assertThat(vs.forGateway("", VirtualService.MESH, 0).http()).hasSize(1)
                .first().satisfies(r -> assertThat(r.match().get(0).gateways()).containsExactly("mesh"));
        assertThat(vs.tls()).singleElement().satisfies(t -> {
            assertThat(t.match().get(0).sniHosts()).containsExactly("a.example.com");
            assertThat(t.match().get(0).port()).isEqualTo(9444);
            assertThat(t.route().get(0).destination().port()).isEqualTo(9443);
        });
        String head = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: default}\n"
                + "spec:\n  hosts: [a.example.com]\n";
        rejects(head + "  tls:\n  - match: [{port: 443}]\n    route: [{destination: {host: a}}]\n",
                "spec.tls[0].match[0].sniHosts", "at least one SNI host");
        rejects(head + "  tls:\n  - match: [{sniHosts: [a.example.com]}]\n    route: [{destination: {host: a}, weight: 50},"
                + " {destination: {host: b}, weight: 50}]\n", "spec.tls[0].route", "exactly one destination");
        rejects(head + "  tcp:\n  - match: [{destinationSubnets: [10.0.0.0/8]}]\n    route: [{destination: {host: a}}]\n",
                "spec.tcp[0].match[0].destinationSubnets", "field not supported");
        rejects(head + "  gateways: [\"a/b/c\"]\n  http:\n  - route: [{destination: {host: a}}]\n",
                "spec.gateways[0]", "must be mesh");
    }

    @Test
    void crossChecksWarnOfPortConflictsAndUnknownGateways() {
        MeshConfig cfg = new MeshConfig(List.of((Gateway) parse(GW), (Gateway) parse("""
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: later, namespace: istio-system}
                spec:
                  selector: {istio: ingressgateway, app: x}
                  servers:
                  - port: {number: 8080, name: https, protocol: HTTPS}
                    hosts: [a.example.com]
                    tls: {mode: SIMPLE, credentialName: a}
                """), (Gateway) parse("""
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: elsewhere, namespace: istio-system}
                spec:
                  selector: {istio: egressgateway}
                  servers:
                  - port: {number: 8080, name: https, protocol: HTTPS}
                    hosts: [a.example.com]
                    tls: {mode: ISTIO_MUTUAL}
                """), (VirtualService) parse("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: v, namespace: default}
                spec:
                  hosts: [a.example.com]
                  gateways: [istio-system/public, public]
                  http:
                  - route: [{destination: {host: a}}]
                """)), "isthmus-system");
        assertThat(ConfigChecks.crossCheck(cfg)).containsExactly(
                "Gateway istio-system/public: spec.servers[0].port: port 8080 is HTTP here but HTTPS in Gateway"
                        + " istio-system/later; this server is dropped on proxies both select",
                "VirtualService default/v: spec.gateways[1]: public names no Gateway of namespace default");
    }

    @Test
    void credentialSecretsInBothLayouts() {
        TestPki pki = TestPki.create(dir, "east");
        CertifiedKey k = pki.authority("east").issueServer(SpiffeId.of("cluster.local", "istio-system", "ingress"),
                List.of("a.example.com"), Duration.ofHours(1));
        String root = Pem.encode(pki.rootCertificate());
        String tls = """
                apiVersion: v1
                kind: Secret
                metadata: {name: a-cert, namespace: istio-system}
                type: kubernetes.io/tls
                data:
                  tls.crt: %s
                  tls.key: %s
                  ca.crt: %s
                """.formatted(b64(k.chainPem()), b64(k.privateKeyPem()), b64(root));
        CredentialSecret s = (CredentialSecret) parse(tls);
        assertThat(s.ref()).isEqualTo(new ResourceRef("Secret", "istio-system", "a-cert"));
        assertThat(s.hasCertificate()).isTrue();
        assertThat(s.caCertificates()).isEqualTo(root);
        assertThat(s.cluster()).isEmpty();
        assertThat(s.toString()).doesNotContain("PRIVATE");

        String generic = "apiVersion: v1\nkind: Secret\nmetadata: {name: c-cert-cacert, namespace: istio-system}\n"
                + "stringData:\n  cacert: |\n" + root.indent(4);
        CredentialSecret ca = (CredentialSecret) parse(generic);
        assertThat(ca.hasCertificate()).isFalse();
        assertThat(ca.caCertificates()).contains("BEGIN CERTIFICATE");

        rejects("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {password: hunter2}\n", "data", "holds no credential");
        rejects("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {cert: nope, key: nope}\n",
                "data.cert", "not PEM certificates");
        rejects(tls.replace("type: kubernetes.io/tls", "type: kubernetes.io/dockerconfigjson"), "type", "must be kubernetes.io/tls");
        assertThat(ConfigParser.isMeshConfig(ConfigFiles.parse(generic, "t").get(0))).isTrue();
        assertThat(ConfigParser.isMeshConfig(ConfigFiles.parse(
                "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {password: hunter2}\n", "t").get(0))).isFalse();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
