package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteTranslatorTest {
    private final RouteTranslator translator = new RouteTranslator();

    @Test
    void oneVirtualHostPerServiceWithShortNamesAndTheDefaultRetryPolicy() {
        RouteConfiguration rc = translator.outbound(9080, List.of(reviews(List.of())), "default");
        assertThat(rc.getName()).isEqualTo("9080");
        VirtualHost vh = rc.getVirtualHosts(0);
        assertThat(vh.getDomainsList()).containsExactlyInAnyOrder(
                REVIEWS, REVIEWS + ":9080", "reviews.default.svc", "reviews.default.svc:9080",
                "reviews.default", "reviews.default:9080", "reviews", "reviews:9080");
        var route = vh.getRoutes(0);
        assertThat(route.getMatch().getPrefix()).isEqualTo("/");
        assertThat(route.getRoute().getCluster()).isEqualTo("outbound|9080||" + REVIEWS);
        RetryPolicy retry = route.getRoute().getRetryPolicy();
        assertThat(retry.getRetryOn()).isEqualTo("connect-failure,refused-stream,reset,unavailable,cancelled,retriable-status-codes");
        assertThat(retry.getRetriableStatusCodesList()).containsExactly(503);
        assertThat(retry.getNumRetries().getValue()).isEqualTo(2);
        assertThat(retry.getRetryHostPredicate(0).getName()).isEqualTo("envoy.retry_host_predicates.previous_hosts");
        assertThat(retry.getHostSelectionRetryMaxAttempts()).isEqualTo(5);
    }

    @Test
    void theBareNameIsOnlyForProxiesOfTheSameNamespace() {
        RouteConfiguration rc = translator.outbound(9080, List.of(reviews(List.of())), "other");
        assertThat(rc.getVirtualHosts(0).getDomainsList()).doesNotContain("reviews", "reviews:9080").contains("reviews.default");
    }
}
