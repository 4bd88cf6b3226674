package io.isthmus.sidecar.testing;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TypeRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Mutates protobuf messages at random, through their descriptors: it walks into the fields that are set (and into
 * {@code Any} values of the types the registry knows), and changes one: a number to an edge value, a string to
 * garbage or a plausible-looking value, an enum to another or an unknown number, a message cleared or emptied, a list
 * grown, emptied or duplicated; an {@code Any} may get garbage bytes or another type's URL. Deterministic for a
 * given {@link Random}.
 */
public final class ProtoMutator {

    private static final int MAX_DEPTH = 14;
    private static final String[] STRINGS = {"", "*", "a", "..", "[", "(", "^(a", "\u0000", " ", "-1", "0",
            "10.0.0.1", "::1", "[::1]", "256.1.1.1", "127.0.0.1:80", "spiffe://cluster.local/ns/default/sa/a",
            "outbound|9080||reviews.default.svc.cluster.local", "inbound|9080||", "/", "//", "/a/../b", "h2",
            "http/1.1", "5xx,reset", "not-a-condition", "envoy.filters.http.router", "type.googleapis.com/x",
            "reviews.default.svc.cluster.local", "*.example.com", "ÿ", "%zz"};

    private final Random random;
    private final TypeRegistry types;
    private final List<String> typeUrls;

    /**
     * @param random the source of every choice
     * @param types the message types an {@code Any} may hold, to mutate inside it
     * @param typeUrls type URLs to put in an {@code Any} in place of its own (type confusion)
     */
    public ProtoMutator(Random random, TypeRegistry types, List<String> typeUrls) {
        this.random = random;
        this.types = types;
        this.typeUrls = List.copyOf(typeUrls);
    }

    /** A copy of {@code m} with {@code edits} random changes. */
    @SuppressWarnings("unchecked")
    public <M extends Message> M mutate(M m, int edits) {
        Message.Builder b = m.toBuilder();
        for (int i = 0; i < edits; i++) {
            edit(b, 0);
        }
        return (M) b.build();
    }

    private void edit(Message.Builder b, int depth) {
        Descriptor d = b.getDescriptorForType();
        List<FieldDescriptor> fields = d.getFields();
        if (fields.isEmpty()) {
            return;
        }
        List<FieldDescriptor> set = new ArrayList<>();
        for (FieldDescriptor f : fields) {
            if (f.isRepeated() ? b.getRepeatedFieldCount(f) > 0 : b.hasField(f)) {
                set.add(f);
            }
        }
        FieldDescriptor f = !set.isEmpty() && random.nextInt(5) != 0 ? set.get(random.nextInt(set.size()))
                : fields.get(random.nextInt(fields.size()));
        if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth < MAX_DEPTH && random.nextInt(4) != 0) {
            descend(b, f, depth);
        } else if (f.isRepeated()) {
            editList(b, f);
        } else {
            b.setField(f, value(b, f));
        }
    }

    /** Edits inside a message field (an element of it, if repeated; creating one if there is none). */
    private void descend(Message.Builder b, FieldDescriptor f, int depth) {
        if (f.isRepeated()) {
            int n = b.getRepeatedFieldCount(f);
            if (n == 0) {
                b.addRepeatedField(f, b.newBuilderForField(f).build());
                return;
            }
            int i = random.nextInt(n);
            b.setRepeatedField(f, i, editMessage(b, f, (Message) b.getRepeatedField(f, i), depth));
        } else {
            b.setField(f, editMessage(b, f, (Message) b.getField(f), depth));
        }
    }

    private Message editMessage(Message.Builder parent, FieldDescriptor f, Message current, int depth) {
        if (current instanceof Any any) {
            return editAny(any, depth);
        }
        if (current.getDescriptorForType().getFullName().equals(Any.getDescriptor().getFullName())) {
            // an Any inside a message read dynamically (itself inside an Any): edit what it holds as well
            try {
                Any edited = editAny(Any.parseFrom(current.toByteString()), depth);
                return parent.newBuilderForField(f).mergeFrom(edited.toByteString()).build();
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException(e);
            }
        }
        Message.Builder child = parent.newBuilderForField(f).mergeFrom(current);
        edit(child, depth + 1);
        return child.build();
    }

    private Any editAny(Any any, int depth) {
        int choice = random.nextInt(10);
        if (choice < 6) {
            try {
                Descriptor type = types.getDescriptorForTypeUrl(any.getTypeUrl());
                if (type != null) {
                    DynamicMessage.Builder inner = DynamicMessage.parseFrom(type, any.getValue()).toBuilder();
                    edit(inner, depth + 1);
                    return any.toBuilder().setValue(inner.build().toByteString()).build();
                }
            } catch (InvalidProtocolBufferException e) {
                // not of its type any more: mutate it some other way
            }
        }
        if (choice < 8) {
            byte[] garbage = new byte[random.nextInt(12)];
            random.nextBytes(garbage);
            return any.toBuilder().setValue(ByteString.copyFrom(garbage)).build();
        }
        if (choice < 9 && !typeUrls.isEmpty()) {
            return any.toBuilder().setTypeUrl(typeUrls.get(random.nextInt(typeUrls.size()))).build();
        }
        return any.toBuilder().setTypeUrl("type.googleapis.com/unknown.Type" + random.nextInt(3)).build();
    }

    private void editList(Message.Builder b, FieldDescriptor f) {
        int n = b.getRepeatedFieldCount(f);
        int choice = random.nextInt(3);
        if (choice == 0 || n == 0) {
            b.addRepeatedField(f, value(b, f));
        } else if (choice == 1) {
            b.clearField(f);
        } else {
            b.addRepeatedField(f, b.getRepeatedField(f, random.nextInt(n)));
        }
    }

    /** A new value for a field (for a message field: an empty message, or for a single one sometimes cleared). */
    private Object value(Message.Builder b, FieldDescriptor f) {
        return switch (f.getJavaType()) {
            case INT -> pickInt();
            case LONG -> pickLong();
            case FLOAT -> (float) pickDouble();
            case DOUBLE -> pickDouble();
            case BOOLEAN -> random.nextBoolean();
            case STRING -> pickString();
            case BYTE_STRING -> {
                byte[] bytes = new byte[random.nextInt(40)];
                random.nextBytes(bytes);
                yield ByteString.copyFrom(bytes);
            }
            case ENUM -> {
                EnumDescriptor e = f.getEnumType();
                yield random.nextInt(4) == 0 && !e.isClosed()
                        ? e.findValueByNumberCreatingIfUnknown(1000 + random.nextInt(5))
                        : e.getValues().get(random.nextInt(e.getValues().size()));
            }
            case MESSAGE -> b.newBuilderForField(f).build();
        };
    }

    private int pickInt() {
        return switch (random.nextInt(8)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> Integer.MAX_VALUE;
            case 3 -> Integer.MIN_VALUE;
            case 4 -> 1;
            case 5 -> 65536;
            default -> random.nextInt(2000) - 100;
        };
    }

    private long pickLong() {
        return switch (random.nextInt(6)) {
            case 0 -> 0L;
            case 1 -> -1L;
            case 2 -> Long.MAX_VALUE;
            case 3 -> Long.MIN_VALUE;
            default -> random.nextInt(100_000) - 10;
        };
    }

    private double pickDouble() {
        return switch (random.nextInt(6)) {
            case 0 -> 0.0;
            case 1 -> -1.0;
            case 2 -> Double.NaN;
            case 3 -> Double.POSITIVE_INFINITY;
            case 4 -> 1e300;
            default -> random.nextDouble() * 200 - 50;
        };
    }

    private String pickString() {
        if (random.nextInt(10) == 0) {
            return "x".repeat(random.nextInt(70_000));
        }
        if (random.nextInt(4) == 0) {
            StringBuilder s = new StringBuilder();
            int n = random.nextInt(16);
            for (int i = 0; i < n; i++) {
                s.append((char) (32 + random.nextInt(95)));
            }
            return s.toString();
        }
        return STRINGS[random.nextInt(STRINGS.length)];
    }
}
