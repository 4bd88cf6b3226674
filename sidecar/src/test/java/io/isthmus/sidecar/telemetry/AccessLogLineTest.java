package io.isthmus.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The access-log line of a call through the egress gateway names the caller (the downstream mutual
 * TLS peer), the Host, the upstream cluster and the endpoint it went to; that of a TCP proxy connection
 * the cluster picked for it.
 */
class AccessLogLineTest {

    @Test
    void anEgressCallNamesItsCallerAndUpstream() {
        RequestRecord r = new RequestRecord("outbound", "0.0.0.0_8443", "GET", "external.test", "/get", "HTTP/1.1", 200, "-",
                "", "outbound|443||external.test", "127.0.0.1:8443", 1, 0, 8, 1.5, "id-1", "", "",
                "10.1.0.7:41234", false, "spiffe://cluster.local/ns/default/sa/sleep", "", NodeIdentity.UNKNOWN, "");

        String line = AccessLogLine.json(r);

        assertThat(line).contains("\"downstream_principal\":\"spiffe://cluster.local/ns/default/sa/sleep\"")
                .contains("\"authority\":\"external.test\"")
                .contains("\"upstream_cluster\":\"outbound|443||external.test\"")
                .contains("\"upstream_host\":\"127.0.0.1:8443\"")
                .contains("\"response_code\":200");
    }

    @Test
    void aTcpConnectionNamesTheClusterPickedForItAndItsBytes() {
        ConnectionRecord c = new ConnectionRecord("outbound", "0.0.0.0_5432", "outbound|5432|v2|pg.default.svc.cluster.local",
                "10.1.0.9:5432", "-", "spiffe://cluster.local/ns/default/sa/pg", "east", 12, 345, 20.5, "127.0.0.1:50123", "");

        String line = AccessLogLine.json(c);

        assertThat(line).contains("\"protocol\":\"tcp\"")
                .contains("\"upstream_cluster\":\"outbound|5432|v2|pg.default.svc.cluster.local\"")
                .contains("\"upstream_host\":\"10.1.0.9:5432\"")
                .contains("\"bytes_received\":12").contains("\"bytes_sent\":345")
                .contains("\"response_flags\":\"-\"")
                .contains("\"downstream_remote_address\":\"127.0.0.1:50123\"");
        assertThat(new io.vertx.core.json.JsonObject(line).getString("upstream_cluster")).as("valid JSON")
                .endsWith("|v2|pg.default.svc.cluster.local");
    }
}
