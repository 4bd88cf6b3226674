package io.isthmus.sidecar;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;

/**
 * Run in a child JVM by {@link SidecarJvmOptionsTest}: allocates and releases one 64 KiB direct buffer, a relay's
 * read, from Netty's default allocator and prints whether its memory stayed in the allocator's pool ({@code
 * pooled=true}) or was a one-off allocation freed on release ({@code pooled=false}).
 */
public final class AllocatorProbe {

    private AllocatorProbe() {
    }

    public static void main(String[] args) {
        ByteBufAllocator allocator = ByteBufAllocator.DEFAULT;
        ByteBuf buf = allocator.directBuffer(64 * 1024, 64 * 1024);
        buf.release();
        long kept = ((ByteBufAllocatorMetricProvider) allocator).metric().usedDirectMemory();
        System.out.println("allocator=" + allocator.getClass().getSimpleName() + " pooled=" + (kept > 0));
    }
}
