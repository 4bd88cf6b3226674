package io.isthmus.e2e.scenario;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Canary: a VirtualService in east splits reviews 90/10 between subsets v1 and v2 (a
 * DestinationRule by the {@code version} label; both subsets have pods in both clusters); over
 * 2,000 requests from east's client the v2 share is 10 % ± 3 % (the target).
 */
@Order(8)
@ExtendWith(FederationExtension.class)
class CanaryIT {
    private static final String RULE = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews.default.svc.cluster.local
              subsets:
                - {name: v1, labels: {version: v1}}
                - {name: v2, labels: {version: v2}}
            """;
    private static final String SPLIT = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              http:
                - route:
                    - {destination: {host: reviews.default.svc.cluster.local, subset: v1}, weight: 90}
                    - {destination: {host: reviews.default.svc.cluster.local, subset: v2}, weight: 10}
            """;
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void a_90_10_split_is_honoured_within_3_percent() {
        ScenarioReport report = ScenarioReport.of("canary");
        MeshPod client = fed.pod("east", "client");
        fed.cluster("east").applyConfig(RULE);
        fed.cluster("east").applyConfig(SPLIT);
        try {
            await("the split reaches east's client proxy").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> client.call("http://127.0.0.1:15000/config_dump").body().contains("\"weight\" : 10")
                            || client.call("http://127.0.0.1:15000/config_dump").body().contains("\"weight\":10"));
            client.startLoad("canary", Mesh.REVIEWS_URL, Duration.ofMillis(5));
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> client.loadStats("canary").sent() >= 2000);
            LoadReport all = client.stopLoad("canary");
            List<LoadReport.Sample> first = all.samples().subList(0, 2000);
            long v2 = first.stream().filter(s -> s.status() == 200 && "v2".equals(s.version())).count();
            long ok = first.stream().filter(s -> s.status() == 200).count();
            double share = ok == 0 ? 0 : (double) v2 / ok;
            report.count(first.size(), first.size() - ok).value("v2Share", String.format("%.4f", share))
                    .outcome(Math.abs(share - 0.10) <= 0.03 ? "passed" : "failed").write(SharedFederation.reportDir());
            assertThat(ok).as("answered requests of 2000").isEqualTo(2000);
            assertThat(share).as("v2 share of 2000 requests").isBetween(0.07, 0.13);
        } finally {
            fed.cluster("east").deleteConfig(SPLIT);
            fed.cluster("east").deleteConfig(RULE);
        }
    }
}
