package io.isthmus.gateway.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.mesh.OutboundName;
import io.isthmus.mesh.sni.ClientHelloParser;
import io.isthmus.mesh.sni.HelloRefusal;
import io.isthmus.mesh.sni.HelloResult;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientHelloParserTest {

    private static final String SNI = OutboundName.of("reviews.default.svc.cluster.local", 9080).sni();

    private static HelloResult.ServerName named(String sni) {
        return new HelloResult.ServerName(sni);
    }

    private static HelloRefusal reason(HelloResult r) {
        assertThat(r).isInstanceOf(HelloResult.Refused.class);
        return ((HelloResult.Refused) r).reason();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7, 100, 100_000})
    void jdkClientHelloInAnyChunking(int chunk) throws Exception {
        byte[] hello = ClientHellos.jdk(SNI);
        assertThat(ClientHellos.feed(new ClientHelloParser(), hello, chunk)).isEqualTo(named(SNI));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 1000})
    void openSslClientHelloInAnyChunking(int chunk) throws Exception {
        byte[] hello = ClientHellos.openSsl(SNI);
        assertThat(ClientHellos.feed(new ClientHelloParser(), hello, chunk)).isEqualTo(named(SNI));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 64, 300})
    void clientHelloAcrossSeveralRecordsOneByteAtATime(int recordSize) throws Exception {
        byte[] hello = ClientHellos.refragment(ClientHellos.jdk(SNI), recordSize);
        assertThat(ClientHellos.feed(new ClientHelloParser(), hello, 1)).isEqualTo(named(SNI));
        byte[] ossl = ClientHellos.refragment(ClientHellos.openSsl(SNI), recordSize);
        assertThat(ClientHellos.feed(new ClientHelloParser(), ossl, 1)).isEqualTo(named(SNI));
    }

    @Test
    void needsMoreUntilTheLastByteAndLeavesPositionAlone() throws Exception {
        byte[] hello = ClientHellos.jdk(SNI);
        ClientHelloParser p = new ClientHelloParser();
        ByteBuffer head = ByteBuffer.wrap(hello, 0, hello.length - 1);
        assertThat(p.offer(head)).isEqualTo(HelloResult.NEED_MORE);
        assertThat(head.position()).isZero();
        assertThat(p.offer(ByteBuffer.wrap(hello, hello.length - 1, 1))).isEqualTo(named(SNI));
        assertThat(p.offer(new byte[] {1, 2, 3})).isEqualTo(named(SNI));
    }

    @Test
    void bytesAfterTheHelloRecordAreIgnored() throws Exception {
        byte[] hello = ClientHellos.jdk(SNI);
        byte[] more = Arrays.copyOf(hello, hello.length + 10);
        assertThat(new ClientHelloParser().offer(more)).isEqualTo(named(SNI));
    }

    @Test
    void noServerName() throws Exception {
        assertThat(reason(new ClientHelloParser().offer(ClientHellos.jdk(null)))).isEqualTo(HelloRefusal.NO_SNI);
        assertThat(reason(new ClientHelloParser().offer(ClientHellos.openSsl(null)))).isEqualTo(HelloRefusal.NO_SNI);
        assertThat(reason(new ClientHelloParser().offer(ClientHellos.synthetic(null)))).isEqualTo(HelloRefusal.NO_SNI);
        assertThat(reason(new ClientHelloParser().offer(ClientHellos.synthetic(ClientHellos.list(ClientHellos.extension(10, 4))))))
                .isEqualTo(HelloRefusal.NO_SNI);
    }

    @Test
    void syntheticHelloNamesLowerCase() {
        byte[] hello = ClientHellos.synthetic(ClientHellos.list(ClientHellos.sniExtension("Reviews.Default.SVC")));
        assertThat(new ClientHelloParser().offer(hello)).isEqualTo(named("reviews.default.svc"));
    }

    @Test
    void plaintextIsNotTls() {
        byte[] http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        ClientHelloParser p = new ClientHelloParser();
        assertThat(reason(p.offer(ByteBuffer.wrap(http, 0, 1)))).isEqualTo(HelloRefusal.NOT_TLS);
    }

    @Test
    void sslV2ClientHello() {
        byte[] v2 = {(byte) 0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15};
        assertThat(reason(new ClientHelloParser().offer(v2))).isEqualTo(HelloRefusal.SSLV2);
    }

    @Test
    void otherRecordTypesAndVersions() throws Exception {
        byte[] hello = ClientHellos.refragment(ClientHellos.jdk(SNI), 50);
        byte[] alertInside = hello.clone();
        alertInside[55] = 21;
        assertThat(reason(new ClientHelloParser().offer(alertInside))).isEqualTo(HelloRefusal.UNEXPECTED_RECORD);
        byte[] v4 = hello.clone();
        v4[1] = 4;
        assertThat(reason(new ClientHelloParser().offer(v4))).isEqualTo(HelloRefusal.UNSUPPORTED_VERSION);
        byte[] serverHello = hello.clone();
        serverHello[5] = 2;
        assertThat(reason(new ClientHelloParser().offer(serverHello))).isEqualTo(HelloRefusal.NOT_CLIENT_HELLO);
        assertThat(reason(new ClientHelloParser().offer(new byte[] {22, 3, 1, 0, 0}))).isEqualTo(HelloRefusal.RECORD_OVERFLOW);
        assertThat(reason(new ClientHelloParser().offer(new byte[] {22, 3, 1, 0x40, 1}))).isEqualTo(HelloRefusal.RECORD_OVERFLOW);
    }

    @Test
    void duplicates() {
        byte[] twoExtensions = ClientHellos.synthetic(ClientHellos.list(ClientHellos.sniExtension("a.b"), ClientHellos.sniExtension("c.d")));
        assertThat(reason(new ClientHelloParser().offer(twoExtensions))).isEqualTo(HelloRefusal.DUPLICATE_SNI);
        byte[] twoNames = ClientHellos.synthetic(ClientHellos.list(ClientHellos.sniExtension("a.b", "c.d")));
        assertThat(reason(new ClientHelloParser().offer(twoNames))).isEqualTo(HelloRefusal.DUPLICATE_SNI);
        byte[] twoOthers = ClientHellos.synthetic(ClientHellos.list(ClientHellos.sniExtension("a.b"),
                ClientHellos.extension(43, 3), ClientHellos.extension(43, 3)));
        assertThat(reason(new ClientHelloParser().offer(twoOthers))).isEqualTo(HelloRefusal.DUPLICATE_EXTENSION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "a..b", "a.", ".a", "a b", "a/b", "é.com", "a\u0000b"})
    void invalidHostNames(String name) {
        byte[] hello = ClientHellos.synthetic(ClientHellos.list(ClientHellos.sniExtension(name)));
        assertThat(reason(new ClientHelloParser().offer(hello))).isEqualTo(HelloRefusal.INVALID_SNI);
    }

    @Test
    void malformedLengths() {
        byte[] ok = ClientHellos.synthetic(ClientHellos.list(ClientHellos.sniExtension("a.b")));
        byte[] badExtLen = ok.clone();
        // extensions length lives right after the compression methods (5+4+2+32+1+4+2 = 50)
        badExtLen[50] = 0x7f;
        assertThat(reason(new ClientHelloParser().offer(badExtLen))).isEqualTo(HelloRefusal.MALFORMED);
        byte[] oddSuites = ok.clone();
        oddSuites[5 + 4 + 2 + 32 + 1 + 1] = 3;
        assertThat(reason(new ClientHelloParser().offer(oddSuites))).isEqualTo(HelloRefusal.MALFORMED);
    }

    @Test
    void oversizedHelloRefusedFromItsHeader() {
        byte[] header = {22, 3, 1, 0, 4, 1, 0x01, 0x00, 0x01};
        assertThat(reason(new ClientHelloParser().offer(header))).isEqualTo(HelloRefusal.OVERSIZED);
    }

    @Test
    void helloAtTheProtocolMaximumIsAccepted() {
        int padding = 65535 - 12 - 4;
        byte[] sni = ClientHellos.sniExtension("a.b");
        byte[] hello = ClientHellos.synthetic(ClientHellos.list(sni, ClientHellos.extension(21, padding)));
        ClientHelloParser p = new ClientHelloParser(ClientHelloParser.PROTOCOL_MAX_HELLO_SIZE);
        assertThat(hello.length).isGreaterThan(65535);
        assertThat(ClientHellos.feed(p, hello, 1)).isEqualTo(named("a.b"));
        assertThat(reason(new ClientHelloParser().offer(hello))).isEqualTo(HelloRefusal.OVERSIZED);
    }

    @Test
    void tinyRecordsBeyondTheInputBudgetAreOversized() {
        ClientHelloParser p = new ClientHelloParser(64);
        byte[] header = {1, 0, 0, 60};
        HelloResult r = HelloResult.NEED_MORE;
        // one byte per record: the budget of 2 * 64 + 9 input bytes runs out before 64 body bytes
        for (int i = 0; i < 64 && r instanceof HelloResult.NeedMore; i++) {
            byte b = i < 4 ? header[i] : 0;
            r = p.offer(new byte[] {22, 3, 1, 0, 1, b});
        }
        assertThat(reason(r)).isEqualTo(HelloRefusal.OVERSIZED);
    }
}
