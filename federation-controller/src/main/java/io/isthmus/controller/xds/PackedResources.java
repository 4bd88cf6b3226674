package io.isthmus.controller.xds;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.protobuf.Any;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.ExecutionException;

/**
 * Each resource message packed into an {@code Any} and hashed once, however many proxies it is
 * sent to: translation shares message objects between proxies of the same view, so the memo is
 * keyed by identity and lets go of a message when no configuration holds it any more.
 */
final class PackedResources {
    private static final Cache<Message, Packed> MEMO = CacheBuilder.newBuilder().weakKeys().build();

    /** A packed resource and the SHA-256 of its deterministic serialization. */
    record Packed(Any any, byte[] digest) {
    }

    private PackedResources() {
    }

    static Packed of(Message m) {
        try {
            return MEMO.get(m, () -> pack(m));
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot pack " + m.getDescriptorForType().getFullName(), e.getCause());
        }
    }

    private static Packed pack(Message m) {
        try {
            ByteArrayOutputStream buf = new ByteArrayOutputStream(m.getSerializedSize());
            CodedOutputStream cos = CodedOutputStream.newInstance(buf);
            cos.useDeterministicSerialization();
            m.writeTo(cos);
            cos.flush();
            byte[] bytes = buf.toByteArray();
            return new Packed(Any.pack(m), MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
