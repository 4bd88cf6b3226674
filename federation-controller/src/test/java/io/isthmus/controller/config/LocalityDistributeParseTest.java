package io.isthmus.controller.config;

import static io.isthmus.controller.config.ConfigParserTest.parse;
import static io.isthmus.controller.config.ConfigParserTest.rejects;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.mesh.Locality;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code localityLbSetting.distribute}: what is read, how localities match, and every mistake named. */
class LocalityDistributeParseTest {
    private static final String HEAD = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
            + "metadata: {name: r, namespace: default}\nspec:\n  host: reviews\n  trafficPolicy:\n    loadBalancer:\n"
            + "      localityLbSetting:\n";

    private static TrafficPolicy.LocalityLb read(String setting) {
        DestinationRule dr = (DestinationRule) parse(HEAD + setting.indent(8));
        return dr.trafficPolicy().loadBalancer().orElseThrow().locality().orElseThrow();
    }

    @Test
    void rulesKeepTheirTargetsInOrder() {
        TrafficPolicy.LocalityLb lb = read("""
                distribute:
                - from: us-east/*
                  to: {"us-east/*": 80, "us-west/us-west-1a": 20}
                - from: us-west
                  to: {us-west: 100}
                """);
        assertThat(lb.distribute()).containsExactly(
                new TrafficPolicy.Distribute("us-east/*", List.of(new TrafficPolicy.DistributeTarget("us-east/*", 80),
                        new TrafficPolicy.DistributeTarget("us-west/us-west-1a", 20))),
                new TrafficPolicy.Distribute("us-west", List.of(new TrafficPolicy.DistributeTarget("us-west", 100))));
        assertThat(lb.distributeFrom(Locality.of("us-east", "us-east-1b"))).contains(lb.distribute().get(0));
        assertThat(lb.distributeFrom(Locality.of("us-west", "us-west-1b"))).contains(lb.distribute().get(1));
        assertThat(lb.distributeFrom(Locality.of("eu-central", "eu-central-a"))).isEmpty();
    }

    @Test
    void localitiesMatchByRegionZoneAndSubzoneWithWildcardsAndMissingSegments() {
        Locality l = new Locality("us-east", "us-east-1a", "rack-7");
        assertThat(TrafficPolicy.localityMatches(l, "us-east")).isTrue();
        assertThat(TrafficPolicy.localityMatches(l, "us-east/*")).isTrue();
        assertThat(TrafficPolicy.localityMatches(l, "us-east/us-east-1a/rack-7")).isTrue();
        assertThat(TrafficPolicy.localityMatches(l, "*")).isTrue();
        assertThat(TrafficPolicy.localityMatches(l, "us-east/us-east-1b")).isFalse();
        assertThat(TrafficPolicy.localityMatches(l, "us-west/*")).isFalse();
        assertThat(TrafficPolicy.localityMatches(l, "us-east/us-east-1a/rack-8")).isFalse();
    }

    @Test
    void eachMistakeIsNamed() {
        String at = "spec.trafficPolicy.loadBalancer.localityLbSetting";
        rejects(HEAD + """
                        distribute:
                        - {from: us-east, to: {us-east: 60, us-west: 30}}
                """, at + ".distribute[0].to", "weights must add up to 100, got 90");
        rejects(HEAD + """
                        distribute:
                        - {from: us-east, to: {us-east: 100, us-west: 0}}
                """, at + ".distribute[0].to.us-west", "must be 1..100, got 0");
        rejects(HEAD + """
                        distribute:
                        - {from: us-east, to: {}}
                """, at + ".distribute[0].to", "at least one locality");
        rejects(HEAD + """
                        distribute:
                        - {to: {us-east: 100}}
                """, at + ".distribute[0].from", "required");
        rejects(HEAD + """
                        distribute:
                        - {from: "us-*", to: {us-east: 100}}
                """, at + ".distribute[0].from", "'*' may only be the whole last segment");
        rejects(HEAD + """
                        distribute:
                        - {from: "*/us-east-1a", to: {us-east: 100}}
                """, at + ".distribute[0].from", "'*' may only be the whole last segment");
        rejects(HEAD + """
                        distribute:
                        - {from: us-east, to: {"a/b/c/d": 100}}
                """, at + ".distribute[0].to.a/b/c/d", "region[/zone[/subzone]]");
        rejects(HEAD + """
                        distribute:
                        - {from: "us-east//x", to: {us-east: 100}}
                """, at + ".distribute[0].from", "no empty segment");
        rejects(HEAD + """
                        distribute:
                        - {from: us-east, to: {us-east: 100}}
                        - {from: us-east, to: {us-west: 100}}
                """, at + ".distribute[1].from", "already the from of an earlier entry");
        rejects(HEAD + """
                        failover: [{from: us-east, to: us-west}]
                        distribute:
                        - {from: us-east, to: {us-east: 100}}
                """, at + ".distribute", "cannot be set together with failover or failoverPriority");
        rejects(HEAD + """
                        enabled: false
                        distribute:
                        - {from: us-east, to: {us-east: 100}}
                """, at + ".distribute", "needs locality load balancing enabled");
    }
}
