package io.isthmus.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RequestIdsTest {

    @Test
    void generatesAVersion4RequestIdAndATraceparentWhenAbsent() {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        String id = RequestIds.ensure(h);
        assertThat(h.get(RequestIds.REQUEST_ID)).isEqualTo(id);
        UUID u = UUID.fromString(id);
        assertThat(u.toString()).isEqualTo(id);
        assertThat(u.version()).isEqualTo(4);
        assertThat(u.variant()).isEqualTo(2);
        String tp = h.get(RequestIds.TRACEPARENT);
        assertThat(tp).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
        assertThat(tp.substring(3, 35)).isNotEqualTo("0".repeat(32));
        assertThat(Long.parseUnsignedLong(tp.substring(36, 52), 16) & 1).isEqualTo(1);
    }

    @Test
    void keepsAValidRequestIdAndTraceAndStartsANewSpan() {
        String incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
        MultiMap h = MultiMap.caseInsensitiveMultiMap().set(RequestIds.REQUEST_ID, "abc").set(RequestIds.TRACEPARENT, incoming);
        assertThat(RequestIds.ensure(h)).isEqualTo("abc");
        String tp = h.get(RequestIds.TRACEPARENT);
        assertThat(tp).matches("00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00");
        assertThat(tp.substring(36, 52)).isNotEqualTo("00f067aa0ba902b7");
    }

    @Test
    void replacesAMalformedOrZeroTraceparent() {
        for (String bad : new String[] {"garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}) {
            MultiMap h = MultiMap.caseInsensitiveMultiMap().set(RequestIds.TRACEPARENT, bad);
            RequestIds.ensure(h);
            assertThat(h.get(RequestIds.TRACEPARENT)).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01")
                    .doesNotContain("4bf92f3577b34da6a3ce929d0e0e4736");
        }
    }
}
