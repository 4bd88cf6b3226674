package io.isthmus.gateway.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.mesh.sni.ClientHelloParser;
import io.isthmus.mesh.sni.HelloResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property tests of {@link ClientHelloParser} over more than a million generated and mutated inputs:
 * no input makes it throw or loop, the result does not depend on how the bytes are chunked, and every
 * well-formed ClientHello yields its name however it is fragmented into records and segments.
 */
class ClientHelloParserFuzzTest {

    private static final int MUTATIONS_PER_TRY = 600;
    private static final int RANDOM_PER_TRY = 400;
    private static final AtomicLong INPUTS = new AtomicLong();
    private static final List<byte[]> REAL = new ArrayList<>();

    @BeforeContainer
    static void captureRealHellos() throws Exception {
        for (String sni : List.of("outbound_.9080_._.reviews.default.svc.cluster.local",
                "outbound_.8080_.v2_.ratings.prod.svc.cluster.local", "example.com")) {
            REAL.add(ClientHellos.jdk(sni));
            REAL.add(ClientHellos.openSsl(sni));
            REAL.add(ClientHellos.refragment(ClientHellos.jdk(sni), 97));
        }
        REAL.add(ClientHellos.jdk(null));
        REAL.add(ClientHellos.openSsl(null));
    }

    @AfterContainer
    static void enoughInputs() {
        assertThat(INPUTS.get()).isGreaterThanOrEqualTo(1_000_000L);
    }

    @Property(tries = 1000)
    void mutatedHellosNeverThrowAndIgnoreChunking(@ForAll("realIndex") int base, @ForAll long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < MUTATIONS_PER_TRY; i++) {
            byte[] input = mutate(REAL.get(base), random);
            checkChunkingInvariant(input, 1 + random.nextInt(input.length + 1));
        }
    }

    @Property(tries = 1000)
    void randomBytesNeverThrow(@ForAll long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < RANDOM_PER_TRY; i++) {
            byte[] input = new byte[random.nextInt(300)];
            random.nextBytes(input);
            if (input.length > 2 && random.nextBoolean()) {
                input[0] = 22;
                input[1] = 3;
            }
            checkChunkingInvariant(input, 1 + random.nextInt(17));
        }
    }

    @Property(tries = 2000)
    void wellFormedHellosYieldTheirName(@ForAll("hostNames") String host, @ForAll("recordSizes") int recordSize,
            @ForAll("chunks") int chunk, @ForAll("paddings") int padding) {
        byte[] hello = ClientHellos.synthetic(ClientHellos.list(ClientHellos.extension(10, 8),
                ClientHellos.sniExtension(host), ClientHellos.extension(21, padding)));
        byte[] framed = ClientHellos.refragment(hello, recordSize);
        HelloResult r = ClientHellos.feed(new ClientHelloParser(), framed, chunk);
        INPUTS.incrementAndGet();
        assertThat(r).isEqualTo(new HelloResult.ServerName(host.toLowerCase(java.util.Locale.ROOT)));
    }

    private static void checkChunkingInvariant(byte[] input, int chunk) {
        HelloResult whole = new ClientHelloParser().offer(input);
        HelloResult chunked = ClientHellos.feed(new ClientHelloParser(), input, chunk);
        INPUTS.incrementAndGet();
        assertThat(chunked).as("chunked by %d vs whole", chunk).isEqualTo(whole);
        if (whole instanceof HelloResult.ServerName name) {
            assertThat(name.serverName()).matches("[a-z0-9_.-]{1,255}");
        }
    }

    private static byte[] mutate(byte[] base, Random random) {
        byte[] b = base;
        int rounds = 1 + random.nextInt(4);
        for (int k = 0; k < rounds; k++) {
            b = mutateOnce(b, random);
        }
        return b;
    }

    private static byte[] mutateOnce(byte[] in, Random random) {
        if (in.length == 0) {
            return new byte[] {22};
        }
        byte[] b = in.clone();
        int at = random.nextInt(b.length);
        switch (random.nextInt(9)) {
            case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
            case 1 -> b[at] = (byte) new int[] {0, 1, 0x7f, 0x80, 0xff, 0x16, 0x03}[random.nextInt(7)];
            case 2 -> b = Arrays.copyOf(b, at);
            case 3 -> {
                // a length field of the record or handshake header
                int field = new int[] {3, 4, 6, 7, 8}[random.nextInt(5)];
                if (field < b.length) {
                    b[field] = (byte) random.nextInt(256);
                }
            }
            case 4 -> {
                int len = Math.min(b.length - at, 1 + random.nextInt(40));
                byte[] out = new byte[b.length + len];
                System.arraycopy(b, 0, out, 0, at + len);
                System.arraycopy(b, at, out, at + len, b.length - at);
                b = out;
            }
            case 5 -> {
                int len = Math.min(b.length - at, 1 + random.nextInt(40));
                byte[] out = new byte[b.length - len];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + len, out, at, b.length - at - len);
                b = out;
            }
            case 6 -> {
                byte[] noise = new byte[1 + random.nextInt(16)];
                random.nextBytes(noise);
                byte[] out = new byte[b.length + noise.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(noise, 0, out, at, noise.length);
                System.arraycopy(b, at, out, at + noise.length, b.length - at);
                b = out;
            }
            case 7 -> {
                if (b.length > 5 && (b[0] == 22) && ((b[3] & 0xff) << 8 | (b[4] & 0xff)) == b.length - 5) {
                    b = ClientHellos.refragment(b, 1 + random.nextInt(200));
                }
            }
            default -> {
                ByteBuffer other = ByteBuffer.wrap(REAL.get(random.nextInt(REAL.size())));
                int from = random.nextInt(other.capacity());
                int len = Math.min(other.capacity() - from, Math.min(b.length - at, 1 + random.nextInt(64)));
                other.get(from, b, at, len);
            }
        }
        return b;
    }

    @Provide
    Arbitrary<Integer> realIndex() {
        return Arbitraries.integers().between(0, REAL.size() - 1);
    }

    @Provide
    Arbitrary<String> hostNames() {
        Arbitrary<String> label = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
                .ofMinLength(1).ofMaxLength(20);
        return label.list().ofMinSize(1).ofMaxSize(8).map(l -> String.join(".", l));
    }

    @Provide
    Arbitrary<Integer> recordSizes() {
        return Arbitraries.integers().between(5, 16384);
    }

    @Provide
    Arbitrary<Integer> chunks() {
        return Arbitraries.integers().between(1, 70000);
    }

    @Provide
    Arbitrary<Integer> paddings() {
        return Arbitraries.integers().between(0, 60000);
    }
}
