package io.isthmus.gateway.sni;

import io.isthmus.mesh.sni.ClientHelloParser;
import io.isthmus.mesh.sni.HelloResult;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/** Real ClientHellos produced by the JDK's and OpenSSL's (BoringSSL's) TLS engines, and ways to cut them up. */
public final class ClientHellos {

    private ClientHellos() {
    }

    /** The first flight of a JDK client engine, with {@code sni} as server name (none when null). */
    public static byte[] jdk(String sni) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, null, null);
        SSLEngine engine = ctx.createSSLEngine(sni == null ? null : sni, 443);
        engine.setUseClientMode(true);
        if (sni != null) {
            SSLParameters p = engine.getSSLParameters();
            // SNIHostName refuses the '_' of mesh names (STD3 rules); the JDK sends any host_name type as is.
            p.setServerNames(List.of(new SNIServerName(0, sni.getBytes(StandardCharsets.US_ASCII)) { }));
            engine.setSSLParameters(p);
        }
        return firstFlight(engine);
    }

    /** The first flight of a Netty OpenSSL client engine, with {@code sni} as server name. */
    public static byte[] openSsl(String sni) throws Exception {
        OpenSsl.ensureAvailability();
        SslContext ctx = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL).build();
        SSLEngine engine = ctx.newEngine(ByteBufAllocator.DEFAULT);
        if (sni != null) {
            // Netty's engine refuses '_' in host names (it checks with SNIHostName); BoringSSL does not.
            SSL.setTlsExtHostName(((ReferenceCountedOpenSslEngine) engine).sslPointer(), sni);
        }
        try {
            return firstFlight(engine);
        } finally {
            io.netty.util.ReferenceCountUtil.release(engine);
        }
    }

    private static byte[] firstFlight(SSLEngine engine) throws Exception {
        engine.beginHandshake();
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize() * 2);
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] b = new byte[out.remaining()];
        out.get(b);
        return b;
    }

    /** Re-frames a single-record ClientHello into handshake records of at most {@code size} payload bytes. */
    static byte[] refragment(byte[] hello, int size) {
        int payloadLength = ((hello[3] & 0xff) << 8) | (hello[4] & 0xff);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int off = 0; off < payloadLength; off += size) {
            int n = Math.min(size, payloadLength - off);
            out.write(22);
            out.write(hello[1]);
            out.write(hello[2]);
            out.write(n >> 8);
            out.write(n);
            out.write(hello, 5 + off, n);
        }
        out.write(hello, 5 + payloadLength, hello.length - 5 - payloadLength);
        return out.toByteArray();
    }

    /** Feeds {@code bytes} in chunks of {@code chunk} bytes and returns the first final result. */
    static HelloResult feed(ClientHelloParser parser, byte[] bytes, int chunk) {
        HelloResult r = HelloResult.NEED_MORE;
        for (int off = 0; off < bytes.length; off += chunk) {
            r = parser.offer(ByteBuffer.wrap(bytes, off, Math.min(chunk, bytes.length - off)));
        }
        return r;
    }

    /**
     * A synthetic ClientHello record with the given extensions (each {@code [type hi, type lo, data...]}),
     * for shapes real engines never send.
     */
    public static byte[] synthetic(List<byte[]> extensions) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(3);
        body.write(3);
        body.writeBytes(new byte[32]);
        body.write(0);
        body.writeBytes(new byte[] {0, 2, 0x13, 0x01});
        body.writeBytes(new byte[] {1, 0});
        if (extensions != null) {
            ByteArrayOutputStream ext = new ByteArrayOutputStream();
            for (byte[] e : extensions) {
                ext.write(e[0]);
                ext.write(e[1]);
                int n = e.length - 2;
                ext.write(n >> 8);
                ext.write(n);
                ext.write(e, 2, n);
            }
            byte[] all = ext.toByteArray();
            body.write(all.length >> 8);
            body.write(all.length);
            body.writeBytes(all);
        }
        byte[] b = body.toByteArray();
        return record(handshake(b));
    }

    static byte[] handshake(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(1);
        out.write(body.length >> 16);
        out.write(body.length >> 8);
        out.write(body.length);
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** Wraps a handshake message into records of at most 2^14 bytes. */
    static byte[] record(byte[] handshake) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int off = 0; off < handshake.length; off += 16384) {
            int n = Math.min(16384, handshake.length - off);
            out.writeBytes(new byte[] {22, 3, 1, (byte) (n >> 8), (byte) n});
            out.write(handshake, off, n);
        }
        return out.toByteArray();
    }

    /** A server_name extension with the given host names. */
    public static byte[] sniExtension(String... names) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (String n : names) {
            byte[] b = n.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            list.write(0);
            list.write(b.length >> 8);
            list.write(b.length);
            list.writeBytes(b);
        }
        byte[] l = list.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(0);
        out.write(l.length >> 8);
        out.write(l.length);
        out.writeBytes(l);
        return out.toByteArray();
    }

    static byte[] extension(int type, int length) {
        byte[] e = new byte[2 + length];
        e[0] = (byte) (type >> 8);
        e[1] = (byte) type;
        return e;
    }

    public static List<byte[]> list(byte[]... e) {
        return new ArrayList<>(List.of(e));
    }
}
