package io.isthmus.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Sticky sessions: a DestinationRule in east gives reviews a consistent hash on the caller's address, with locality
 * balancing off so that every reviews endpoint (east's two pods and west's gateway) is a candidate at once. East's
 * client then lands on one endpoint for every call, where round robin would spread its calls over all three.
 */
@Order(16)
@ExtendWith(FederationExtension.class)
class StickySessionsIT {
    private static final String RULE = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews.default.svc.cluster.local
              trafficPolicy:
                loadBalancer:
                  consistentHash: {useSourceIp: true}
                  localityLbSetting: {enabled: false}
            """;

    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void calls_from_one_address_stick_to_one_endpoint() {
        ScenarioReport report = ScenarioReport.of("sticky-sessions");
        MeshPod client = fed.pod("east", "client");
        fed.cluster("east").applyConfig(RULE);
        Set<String> endpoints = new HashSet<>();
        int calls = 40;
        int failed = 0;
        try {
            await("the hash reaches east's client proxy").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> client.call("http://127.0.0.1:15000/config_dump").body().contains("RING_HASH"));
            for (int i = 0; i < calls; i++) {
                var r = client.fetch(Mesh.REVIEWS_URL);
                if (r.status() != 200) {
                    failed++;
                    continue;
                }
                // behind west's gateway the gateway balances: the caller's endpoint there is the gateway, one per cluster
                endpoints.add(r.field("cluster").equals("west") ? "west" : r.field("pod"));
            }
        } finally {
            fed.cluster("east").deleteConfig(RULE);
        }
        report.count(calls, failed).value("endpoints", endpoints.toString())
                .outcome(failed == 0 && endpoints.size() == 1 ? "passed" : "failed").write(SharedFederation.reportDir());
        assertThat(failed).as("failed calls of %d", calls).isZero();
        assertThat(endpoints).as("the endpoints that answered %d calls from one address", calls).hasSize(1);
        await("the rule is gone from east's client proxy").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> !client.call("http://127.0.0.1:15000/config_dump").body().contains("RING_HASH"));
    }
}
