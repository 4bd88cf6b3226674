package io.isthmus.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The peer metadata header: what a proxy tells, and how a peer's is read (Istio's format, bad input ignored). */
class PeerMetadataTest {

    @Test
    void whatAProxyTellsReadsBackAsItsIdentity() {
        Struct node = PeerMetadataExchangeTest.node("reviews-v2", "default", "west", "reviews", "v2").toBuilder()
                .putFields("ISTHMUS_SERVICE_PORTS", Value.newBuilder().setStringValue("9080/http").build())
                .build();

        PeerMetadata own = PeerMetadata.of("sidecar~10.2.0.5~reviews-v2-0.default~default.svc.cluster.local", node);

        assertThat(own.id()).isEqualTo("sidecar~10.2.0.5~reviews-v2-0.default~default.svc.cluster.local");
        assertThat(PeerMetadata.decode(own.metadata()))
                .contains(new NodeIdentity("reviews-v2", "default", "west", "reviews", "v2"));
        assertThat(new String(Base64.getDecoder().decode(own.metadata()))).as("only Istio's exchanged keys are told")
                .doesNotContain("ISTHMUS_SERVICE_PORTS");
    }

    @Test
    void istioCanonicalLabelsWinOverAppAndVersion() {
        Struct node = Struct.newBuilder()
                .putFields("WORKLOAD_NAME", str("ratings-v1"))
                .putFields("NAMESPACE", str("shop"))
                .putFields("LABELS", Value.newBuilder().setStructValue(Struct.newBuilder()
                        .putFields("app", str("ratings"))
                        .putFields("service.istio.io/canonical-name", str("ratings-svc"))
                        .putFields("service.istio.io/canonical-revision", str("1.4"))).build())
                .build();

        assertThat(PeerMetadata.identity(node, "")).isEqualTo(new NodeIdentity("ratings-v1", "shop", "unknown", "ratings-svc", "1.4"));
    }

    @Test
    void whatIsNotAStructOrTooLongIsIgnored() {
        assertThat(PeerMetadata.decode(null)).isEmpty();
        assertThat(PeerMetadata.decode("")).isEmpty();
        assertThat(PeerMetadata.decode("not base64 at all!")).isEmpty();
        assertThat(PeerMetadata.decode(Base64.getEncoder().encodeToString(new byte[] {(byte) 0xff, 0x01, 0x02}))).isEmpty();
        String huge = PeerMetadata.of("x", PeerMetadataExchangeTest.node("w".repeat(20_000), "d", "c", "a", "v")).metadata();
        assertThat(huge.length()).isGreaterThan(PeerMetadata.MAX_HEADER_CHARS);
        assertThat(PeerMetadata.decode(huge)).isEmpty();
    }

    @Test
    void labelValuesAreCutAndCleaned() {
        Struct node = PeerMetadataExchangeTest.node("w".repeat(400), "default\n", "east", "a\u0000pp", "v1");

        NodeIdentity id = PeerMetadata.decode(PeerMetadata.of("x", node).metadata()).orElseThrow();

        assertThat(id.workload()).hasSize(PeerMetadata.MAX_VALUE_CHARS);
        assertThat(id.namespace()).isEqualTo("default");
        assertThat(id.app()).isEqualTo("app");
    }

    @Test
    void decodedHeadersAreRememberedWithinABound() {
        for (int i = 0; i < PeerMetadata.DECODED_CACHE_SIZE + 10; i++) {
            PeerMetadata.decode(PeerMetadata.of("x", PeerMetadataExchangeTest.node("w" + i, "d", "c", "a", "v")).metadata());
            assertThat(PeerMetadata.decodedCached()).isLessThanOrEqualTo(PeerMetadata.DECODED_CACHE_SIZE);
        }
        String header = PeerMetadata.of("x", PeerMetadataExchangeTest.node("reviews-v2", "default", "west", "reviews", "v2"))
                .metadata();
        assertThat(PeerMetadata.decode(header)).isSameAs(PeerMetadata.decode(header)).as("read once")
                .contains(new NodeIdentity("reviews-v2", "default", "west", "reviews", "v2"));
    }

    private static Value str(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }
}
