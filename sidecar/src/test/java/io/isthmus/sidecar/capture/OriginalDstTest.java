package io.isthmus.sidecar.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The kernel's answers to {@code SO_ORIGINAL_DST} / {@code IP6T_SO_ORIGINAL_DST} as the acceptor parses them. */
class OriginalDstTest {

    @Test
    void sockaddrIn() {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.order(ByteOrder.nativeOrder()).putShort(0, (short) 2);
        b.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) 9080);
        b.put(4, (byte) 10).put(5, (byte) 96).put(6, (byte) 0).put(7, (byte) 10);
        assertThat(OriginalDst.parse(b)).isEqualTo(new InetSocketAddress("10.96.0.10", 9080));
    }

    @Test
    void sockaddrIn6() {
        ByteBuffer b = ByteBuffer.allocate(28);
        b.order(ByteOrder.nativeOrder()).putShort(0, (short) 10);
        b.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) 65000);
        b.put(8, (byte) 0xfd);
        b.put(23, (byte) 0x0a);
        assertThat(OriginalDst.parse(b)).isEqualTo(new InetSocketAddress("fd00::a", 65000));
    }

    @Test
    void anythingElseIsNoAddress() {
        assertThat(OriginalDst.parse(ByteBuffer.allocate(16))).as("family 0").isNull();
        assertThat(OriginalDst.parse(ByteBuffer.allocate(4))).as("too short").isNull();
        assertThat(OriginalDst.parse(null)).isNull();
    }
}
