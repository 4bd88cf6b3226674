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
 * Locality: east's client sits in zone us-east-1a. With reviews healthy in its zone, at least
 * 99 % of its calls stay in the zone; with its zone emptied, at least 99 % stay in its region
 * (us-east-1b) rather than crossing to west. (Cross-network only when nothing nearer is healthy
 * is the failover scene.) The ratios are the targets and are asserted. Then a DestinationRule's
 * {@code localityLbSetting.distribute} sends 30 % of the client's calls to west on purpose, through west's gateway.
 */
@Order(5)
@ExtendWith(FederationExtension.class)
class LocalityIT {
    private static final String ZONE = "us-east-1a";
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void calls_stay_in_the_zone_then_in_the_region() {
        ScenarioReport report = ScenarioReport.of("locality");
        MeshPod client = fed.pod("east", "client");
        List<? extends MeshPod> inZone = fed.cluster("east").pods("reviews").stream().filter(p -> p.zone().equals(ZONE)).toList();
        assertThat(inZone).as("reviews pods in %s", ZONE).isNotEmpty();

        client.startLoad("locality", Mesh.REVIEWS_URL, Duration.ofMillis(20));
        long zoneFrom = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(60)).until(() -> client.loadStats("locality").since(zoneFrom).size() >= 300);
        long zoneTo = System.currentTimeMillis();

        for (MeshPod p : inZone) {
            fed.kill(p, Duration.ZERO);
        }
        // Let the endpoint removal reach the proxy, then measure.
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            LoadReport r = client.loadStats("locality");
            List<LoadReport.Sample> last = r.samples().subList(Math.max(0, r.samples().size() - 20), r.samples().size());
            return last.size() == 20 && last.stream().allMatch(s -> s.status() == 200 && !s.zone().equals(ZONE));
        });
        long regionFrom = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(60)).until(() -> client.loadStats("locality").since(regionFrom).size() >= 300);
        LoadReport all = client.stopLoad("locality");
        fed.startPod("reviews", "east", ZONE, "v1");

        List<LoadReport.Sample> zonePhase = all.between(zoneFrom, zoneTo);
        List<LoadReport.Sample> regionPhase = all.since(regionFrom);
        double inZoneRatio = ratio(zonePhase, s -> s.zone().equals(ZONE));
        double inRegionRatio = ratio(regionPhase, s -> s.cluster().equals("east"));
        report.count(all.sent(), all.failed()).value("zoneRatio", String.format("%.4f", inZoneRatio))
                .value("regionRatio", String.format("%.4f", inRegionRatio))
                .value("zonePhase", zonePhase.size()).value("regionPhase", regionPhase.size())
                .outcome(inZoneRatio >= 0.99 && inRegionRatio >= 0.99 ? "passed" : "failed").write(SharedFederation.reportDir());
        assertThat(inZoneRatio).as("share of calls answered in %s while it had healthy endpoints", ZONE).isGreaterThanOrEqualTo(0.99);
        assertThat(inRegionRatio).as("share of calls answered in east's region with %s emptied", ZONE).isGreaterThanOrEqualTo(0.99);
    }

    private static final String DISTRIBUTE = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews.default.svc.cluster.local
              trafficPolicy:
                loadBalancer:
                  localityLbSetting:
                    distribute:
                      - from: us-east/us-east-1a/*
                        to: {"us-east/*": 70, "us-west/*": 30}
            """;

    @Test
    void distribute_sends_each_region_its_share() {
        ScenarioReport report = ScenarioReport.of("locality-distribute");
        MeshPod client = fed.pod("east", "client");
        fed.cluster("east").applyConfig(DISTRIBUTE);
        try {
            await("the weights reach east's client proxy").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> client.call("http://127.0.0.1:15000/config_dump").body().replace(" ", "")
                            .contains("\"locality_weighted_lb_config\":{}"));
            client.startLoad("distribute", Mesh.REVIEWS_URL, Duration.ofMillis(5));
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> client.loadStats("distribute").sent() >= 1000);
            List<LoadReport.Sample> first = client.stopLoad("distribute").samples().subList(0, 1000);
            long ok = first.stream().filter(s -> s.status() == 200).count();
            double west = ratio(first, s -> s.cluster().equals("west"));
            report.count(first.size(), first.size() - ok).value("westShare", String.format("%.4f", west))
                    .outcome(ok == 1000 && Math.abs(west - 0.30) <= 0.05 ? "passed" : "failed").write(SharedFederation.reportDir());
            assertThat(ok).as("answered calls of 1000").isEqualTo(1000);
            assertThat(west).as("share of 1000 calls answered by west (30 %% asked)").isBetween(0.25, 0.35);
        } finally {
            fed.cluster("east").deleteConfig(DISTRIBUTE);
            await("the weights are gone from east's client proxy").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> !client.call("http://127.0.0.1:15000/config_dump").body().replace(" ", "")
                            .contains("\"locality_weighted_lb_config\":{}"));
        }
    }

    private static double ratio(List<LoadReport.Sample> samples, java.util.function.Predicate<LoadReport.Sample> p) {
        return samples.isEmpty() ? 0 : (double) samples.stream().filter(s -> s.status() == 200 && p.test(s)).count() / samples.size();
    }
}
