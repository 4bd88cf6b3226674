package io.isthmus.sidecar.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** XXH64 against the published test vectors (xxHash's reference values as the Go, Python and Rust ports test them). */
class XxHash64Test {

    private static long h(String s, long seed) {
        return XxHash64.hash(s.getBytes(StandardCharsets.US_ASCII), seed);
    }

    @Test
    void shortInputsTakeTheTailPaths() {
        assertThat(h("", 0)).isEqualTo(0xef46db3751d8e999L);
        assertThat(h("a", 0)).isEqualTo(0xd24ec4f1a98c6e5bL);
        assertThat(h("as", 0)).isEqualTo(0x1c330fb2d66be179L);
        assertThat(h("asd", 0)).isEqualTo(0x631c37ce72a97393L);
        assertThat(h("asdf", 0)).isEqualTo(0x415872f599cea71eL);
        assertThat(h("xxhash", 0)).isEqualTo(0x32dd38952c4bc720L);
    }

    @Test
    void longInputsTakeTheStripeLoop() {
        assertThat(h("0123456789abcdef0123456789abcdef", 0)).isEqualTo(0x642a94958e71e6c5L);
        assertThat(h("Nobody inspects the spammish repetition", 0)).isEqualTo(0xfbcea83c8a378bf1L);
        // 63 bytes: the 32-byte stripes, then the 8-, 4- and 1-byte tails
        assertThat(h("Call me Ishmael. Some years ago--never mind how long precisely-", 0)).isEqualTo(0x02a2e85470d6fd96L);
    }

    @Test
    void theSeedChangesTheHash() {
        assertThat(h("xxhash", 20141025)).isEqualTo(0xb559b98d844e0635L);
        assertThat(h("I want an unsigned 64-bit seed!", 0)).isEqualTo(0xd4cb0a70a2b8c7c1L);
        assertThat(h("I want an unsigned 64-bit seed!", 1)).isEqualTo(0xce5087f12470d961L);
    }

    @Test
    void textIsHashedAsItsWireBytes() {
        assertThat(XxHash64.hash("asdf")).isEqualTo(0x415872f599cea71eL);
        assertThat(XxHash64.bytes("caf\u00e9")).isEqualTo(new byte[] {'c', 'a', 'f', (byte) 0xe9});
        assertThat(XxHash64.bytes("\u20ac")).hasSize(3);
        byte[] padded = "asdfXYZ".getBytes(StandardCharsets.US_ASCII);
        assertThat(XxHash64.hash(padded, 4, 0)).isEqualTo(0x415872f599cea71eL);
    }
}
