package io.isthmus.mesh.sni;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An incremental reader of the TLS ClientHello at the start of a connection, which finds the server
 * name (SNI) without terminating TLS.
 *
 * <p>Bytes are fed as they arrive with {@link #offer(ByteBuffer)}; the parser copies only the
 * handshake message it needs, so it never rescans earlier input and works one byte at a time as well
 * as with whole segments. The ClientHello may be split across TCP segments and across any number of
 * TLS handshake records (RFC 8446 §5.1), up to {@link #maxHelloSize()} bytes of message and
 * {@link #maxConsumedBytes()} bytes of input. Once a result other than
 * {@link HelloResult#NEED_MORE} is returned it is final and every later call returns it again.
 * The parser never throws on any input and keeps the input buffer's position unchanged.
 *
 * <p>Not thread-safe: one instance per connection, used from that connection's event loop.
 */
public final class ClientHelloParser {

    /** Largest ClientHello body the protocol allows: every variable-length field at its maximum. */
    public static final int PROTOCOL_MAX_HELLO_SIZE = 2 + 32 + (1 + 32) + (2 + 65534) + (1 + 255) + (2 + 65535);
    /** Default maximum ClientHello body, as Envoy's TLS inspector: 64 KiB. */
    public static final int DEFAULT_MAX_HELLO_SIZE = 64 * 1024;

    private static final int RECORD_HEADER = 5;
    private static final int MAX_RECORD_PAYLOAD = 1 << 14;
    private static final int HANDSHAKE_HEADER = 4;
    private static final int CONTENT_HANDSHAKE = 22;
    private static final int HANDSHAKE_CLIENT_HELLO = 1;
    private static final int EXT_SERVER_NAME = 0;
    private static final int NAME_TYPE_HOST = 0;
    private static final int MAX_HOST_NAME = 255;
    /** Version, random, session id length, cipher suites length + one suite, one compression method. */
    private static final int MIN_HELLO_SIZE = 2 + 32 + 1 + 2 + 2 + 1 + 1;

    private final int maxHelloSize;
    private final long maxConsumedBytes;

    private final byte[] recordHeader = new byte[RECORD_HEADER];
    private int recordHeaderFill;
    private int recordRemaining;
    private int records;
    private final byte[] handshakeHeader = new byte[HANDSHAKE_HEADER];
    private int handshakeHeaderFill;
    private byte[] body;
    private int bodyFill;
    private long consumed;
    private HelloResult result = HelloResult.NEED_MORE;

    /** A parser with the {@linkplain #DEFAULT_MAX_HELLO_SIZE default} limit. */
    public ClientHelloParser() {
        this(DEFAULT_MAX_HELLO_SIZE);
    }

    /**
     * A parser accepting a ClientHello body of up to {@code maxHelloSize} bytes, carried by at most
     * twice that many bytes of input (records of five bytes or more on average).
     *
     * @param maxHelloSize 64..{@link #PROTOCOL_MAX_HELLO_SIZE}
     */
    public ClientHelloParser(int maxHelloSize) {
        if (maxHelloSize < 64 || maxHelloSize > PROTOCOL_MAX_HELLO_SIZE) {
            throw new IllegalArgumentException("maxHelloSize must be 64.." + PROTOCOL_MAX_HELLO_SIZE + ", got " + maxHelloSize);
        }
        this.maxHelloSize = maxHelloSize;
        this.maxConsumedBytes = 2L * maxHelloSize + RECORD_HEADER + HANDSHAKE_HEADER;
    }

    /** The largest ClientHello body accepted, in bytes. */
    public int maxHelloSize() {
        return maxHelloSize;
    }

    /** The most input bytes this parser consumes before refusing as {@link HelloRefusal#OVERSIZED}. */
    public long maxConsumedBytes() {
        return maxConsumedBytes;
    }

    /** The current (or final) result without feeding bytes. */
    public HelloResult result() {
        return result;
    }

    /** Feeds all of {@code bytes}. */
    public HelloResult offer(byte[] bytes) {
        return offer(ByteBuffer.wrap(bytes));
    }

    /**
     * Feeds the bytes between the buffer's position and limit, leaving the position unchanged.
     * Bytes after the end of the ClientHello's last record are not looked at (they belong to the
     * connection and are relayed with the rest).
     */
    public HelloResult offer(ByteBuffer in) {
        if (!(result instanceof HelloResult.NeedMore)) {
            return result;
        }
        int i = in.position();
        int end = in.limit();
        while (i < end && result instanceof HelloResult.NeedMore) {
            int step;
            if (recordRemaining == 0) {
                step = readRecordHeaderByte(in.get(i));
            } else {
                step = readPayload(in, i, end);
            }
            i += step;
            consumed += step;
            if (consumed > maxConsumedBytes && result instanceof HelloResult.NeedMore) {
                result = refuse(HelloRefusal.OVERSIZED, "more than " + maxConsumedBytes + " bytes without a complete ClientHello");
            }
        }
        return result;
    }

    private int readRecordHeaderByte(byte b) {
        recordHeader[recordHeaderFill++] = b;
        int type = recordHeader[0] & 0xff;
        if (records == 0) {
            if ((type & 0x80) != 0) {
                // SSL 2.0 record: 2-byte length with the high bit set, then message type 1 (CLIENT-HELLO).
                if (recordHeaderFill == 3) {
                    result = recordHeader[2] == 1
                            ? refuse(HelloRefusal.SSLV2, "SSL 2.0 ClientHello")
                            : refuse(HelloRefusal.NOT_TLS, "first byte 0x" + Integer.toHexString(type) + " is no TLS record type");
                }
                return 1;
            }
            if (type != CONTENT_HANDSHAKE) {
                result = refuse(HelloRefusal.NOT_TLS, "first byte 0x" + Integer.toHexString(type) + " is no TLS handshake record");
                return 1;
            }
        } else if (type != CONTENT_HANDSHAKE) {
            result = refuse(HelloRefusal.UNEXPECTED_RECORD, "record type " + type + " inside the ClientHello");
            return 1;
        }
        if (recordHeaderFill == 2 && (recordHeader[1] & 0xff) != 3) {
            result = refuse(HelloRefusal.UNSUPPORTED_VERSION, "record version major " + (recordHeader[1] & 0xff));
            return 1;
        }
        if (recordHeaderFill == RECORD_HEADER) {
            int length = ((recordHeader[3] & 0xff) << 8) | (recordHeader[4] & 0xff);
            recordHeaderFill = 0;
            if (length == 0) {
                result = refuse(HelloRefusal.RECORD_OVERFLOW, "empty handshake record");
            } else if (length > MAX_RECORD_PAYLOAD) {
                result = refuse(HelloRefusal.RECORD_OVERFLOW, "record of " + length + " bytes exceeds 2^14");
            } else {
                recordRemaining = length;
                records++;
            }
        }
        return 1;
    }

    private int readPayload(ByteBuffer in, int from, int end) {
        int available = Math.min(recordRemaining, end - from);
        int used = 0;
        while (handshakeHeaderFill < HANDSHAKE_HEADER && used < available) {
            handshakeHeader[handshakeHeaderFill++] = in.get(from + used);
            used++;
            if (handshakeHeaderFill == 1 && (handshakeHeader[0] & 0xff) != HANDSHAKE_CLIENT_HELLO) {
                result = refuse(HelloRefusal.NOT_CLIENT_HELLO, "handshake message type " + (handshakeHeader[0] & 0xff));
                return used;
            }
            if (handshakeHeaderFill == HANDSHAKE_HEADER && !startBody()) {
                return used;
            }
        }
        if (body != null && used < available) {
            int n = Math.min(available - used, body.length - bodyFill);
            in.get(from + used, body, bodyFill, n);
            bodyFill += n;
            used += n;
        }
        recordRemaining -= used;
        if (body != null && bodyFill == body.length) {
            if (recordRemaining != 0) {
                result = refuse(HelloRefusal.MALFORMED, recordRemaining + " bytes after the ClientHello in its record");
            } else {
                result = parseBody(body);
            }
        }
        return used;
    }

    private boolean startBody() {
        int length = ((handshakeHeader[1] & 0xff) << 16) | ((handshakeHeader[2] & 0xff) << 8) | (handshakeHeader[3] & 0xff);
        if (length > maxHelloSize) {
            result = refuse(HelloRefusal.OVERSIZED, "ClientHello of " + length + " bytes exceeds " + maxHelloSize);
            return false;
        }
        if (length < MIN_HELLO_SIZE) {
            result = refuse(HelloRefusal.MALFORMED, "ClientHello of " + length + " bytes is too short");
            return false;
        }
        body = new byte[length];
        return true;
    }

    /** Parses a complete ClientHello body (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2). */
    static HelloResult parseBody(byte[] body) {
        Reader r = new Reader(body);
        int version = r.u16();
        if ((version >> 8) != 3 || version < 0x0301) {
            return refuse(HelloRefusal.UNSUPPORTED_VERSION, "ClientHello version 0x" + Integer.toHexString(version));
        }
        if (!r.skip(32)) {
            return malformed("random");
        }
        int sessionId = r.u8();
        if (sessionId < 0 || sessionId > 32 || !r.skip(sessionId)) {
            return malformed("session id");
        }
        int suites = r.u16();
        if (suites < 2 || (suites & 1) != 0 || !r.skip(suites)) {
            return malformed("cipher suites");
        }
        int compressions = r.u8();
        if (compressions < 1 || !r.skip(compressions)) {
            return malformed("compression methods");
        }
        if (r.remaining() == 0) {
            return refuse(HelloRefusal.NO_SNI, "ClientHello without extensions");
        }
        int extensionsLength = r.u16();
        if (extensionsLength < 0 || extensionsLength != r.remaining()) {
            return malformed("extensions length");
        }
        int[] types = new int[Math.max(1, extensionsLength / 4)];
        int count = 0;
        String serverName = null;
        while (r.remaining() > 0) {
            int type = r.u16();
            int length = r.u16();
            if (type < 0 || length < 0 || length > r.remaining()) {
                return malformed("extension header");
            }
            types[count++] = type;
            if (type == EXT_SERVER_NAME) {
                if (serverName != null) {
                    return refuse(HelloRefusal.DUPLICATE_SNI, "two server_name extensions");
                }
                HelloResult sni = parseServerName(new Reader(body, r.position(), length));
                if (!(sni instanceof HelloResult.ServerName name)) {
                    return sni;
                }
                serverName = name.serverName();
            }
            r.skip(length);
        }
        Arrays.sort(types, 0, count);
        for (int k = 1; k < count; k++) {
            if (types[k] == types[k - 1]) {
                return refuse(HelloRefusal.DUPLICATE_EXTENSION, "extension type " + types[k] + " twice");
            }
        }
        if (serverName == null) {
            return refuse(HelloRefusal.NO_SNI, "no server_name extension");
        }
        return new HelloResult.ServerName(serverName);
    }

    /** Parses the server_name extension data (RFC 6066 §3): the one host name, or a refusal. */
    private static HelloResult parseServerName(Reader r) {
        int listLength = r.u16();
        if (listLength < 1 || listLength != r.remaining()) {
            return malformed("server_name list length");
        }
        String host = null;
        while (r.remaining() > 0) {
            int nameType = r.u8();
            int length = r.u16();
            if (nameType < 0 || length < 0 || length > r.remaining()) {
                return malformed("server_name entry");
            }
            if (nameType == NAME_TYPE_HOST) {
                if (host != null) {
                    return refuse(HelloRefusal.DUPLICATE_SNI, "two host names in server_name");
                }
                host = hostName(r.bytes(), r.position(), length);
                if (host == null) {
                    return refuse(HelloRefusal.INVALID_SNI, "server name of " + length + " bytes is no DNS host name");
                }
            }
            r.skip(length);
        }
        if (host == null) {
            return refuse(HelloRefusal.NO_SNI, "server_name without a host name");
        }
        return new HelloResult.ServerName(host);
    }

    /** The host name in lower case, or null unless it is 1..255 bytes of dot-separated non-empty LDH/underscore labels. */
    private static String hostName(byte[] b, int off, int len) {
        if (len < 1 || len > MAX_HOST_NAME) {
            return null;
        }
        char[] out = new char[len];
        int label = 0;
        for (int k = 0; k < len; k++) {
            int c = b[off + k] & 0xff;
            if (c == '.') {
                if (label == 0) {
                    return null;
                }
                label = 0;
            } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                label++;
            } else if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
                label++;
            } else {
                return null;
            }
            if (label > 63) {
                return null;
            }
            out[k] = (char) c;
        }
        if (label == 0) {
            return null;
        }
        return new String(out);
    }

    private static HelloResult malformed(String field) {
        return refuse(HelloRefusal.MALFORMED, "bad " + field);
    }

    private static HelloResult refuse(HelloRefusal reason, String detail) {
        return new HelloResult.Refused(reason, detail);
    }

    /** A bounds-checked big-endian reader; reads past the end return -1 instead of throwing. */
    private static final class Reader {
        private final byte[] b;
        private int pos;
        private final int end;

        Reader(byte[] b) {
            this(b, 0, b.length);
        }

        Reader(byte[] b, int from, int length) {
            this.b = b;
            this.pos = from;
            this.end = from + length;
        }

        byte[] bytes() {
            return b;
        }

        int position() {
            return pos;
        }

        int remaining() {
            return end - pos;
        }

        int u8() {
            if (pos + 1 > end) {
                pos = end;
                return -1;
            }
            return b[pos++] & 0xff;
        }

        int u16() {
            if (pos + 2 > end) {
                pos = end;
                return -1;
            }
            int v = ((b[pos] & 0xff) << 8) | (b[pos + 1] & 0xff);
            pos += 2;
            return v;
        }

        boolean skip(int n) {
            if (n < 0 || n > end - pos) {
                pos = end;
                return false;
            }
            pos += n;
            return true;
        }
    }

    @Override
    public String toString() {
        return "ClientHelloParser[records=" + records + ", consumed=" + consumed + ", result=" + result + "]";
    }
}
