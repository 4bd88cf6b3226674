package io.isthmus.sidecar.lb;

import java.util.Arrays;
import java.util.List;

/**
 * Envoy's hash ring: every host has points at the xxHash64 of {@code "<key>_<i>"} for i = 0, 1, ..., as many as
 * its share of the ring; a request hash lands on the first point at or above it, wrapping past the last. Removing
 * a host hands only its own arcs to the points that follow them, so about 1/n of the keys move.
 */
final class RingHashTable implements HashTable {

    /** The points in ascending unsigned order, each stored with its sign bit flipped so signed order is that order. */
    private final long[] points;
    /** The host of each point. */
    private final int[] hosts;

    private RingHashTable(long[] points, int[] hosts) {
        this.points = points;
        this.hosts = hosts;
    }

    /**
     * Builds the ring as Envoy does: scale = min(ceil(minimum × least weight) / least weight, maximum), and each host
     * gets points while the running count stays below the running sum of scale × weight.
     *
     * @param keys each host's key (its address, {@code ip:port}), in a stable order
     * @param weights each host's share, all positive, summing to 1
     */
    static RingHashTable build(List<String> keys, double[] weights, HashLbConfig.RingHash config) {
        int n = keys.size();
        double least = Arrays.stream(weights).min().orElseThrow();
        double scale = Math.min(Math.ceil(least * config.minimumRingSize()) / least, (double) config.maximumRingSize());
        int[] counts = new int[n];
        long total = 0;
        double current = 0;
        double target = 0;
        for (int i = 0; i < n; i++) {
            target += scale * weights[i];
            while (current < target) {
                counts[i]++;
                current++;
            }
            total += counts[i];
        }
        long[] byHost = new long[(int) total];
        int[] start = new int[n + 1];
        byte[] buffer = new byte[64];
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = at;
            byte[] prefix = XxHash64.bytes(keys.get(i) + "_");
            if (buffer.length < prefix.length + 20) {
                buffer = new byte[prefix.length + 20];
            }
            System.arraycopy(prefix, 0, buffer, 0, prefix.length);
            for (int k = 0; k < counts[i]; k++) {
                int len = prefix.length + digits(k, buffer, prefix.length);
                byHost[at++] = XxHash64.hash(buffer, len, 0) ^ Long.MIN_VALUE;
            }
            Arrays.sort(byHost, start[i], at);
        }
        start[n] = (int) total;
        return merge(byHost, start);
    }

    /** Writes {@code v} (>= 0) in decimal at {@code at}; returns the number of digits. */
    private static int digits(int v, byte[] buffer, int at) {
        int n = 1;
        for (int rest = v / 10; rest > 0; rest /= 10) {
            n++;
        }
        for (int i = at + n - 1; i >= at; i--) {
            buffer[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return n;
    }

    /** Merges the hosts' sorted runs of points into one sorted ring (a heap of the hosts by their next point). */
    private static RingHashTable merge(long[] byHost, int[] start) {
        int n = start.length - 1;
        int[] cursor = Arrays.copyOf(start, n);
        int[] heap = new int[n];
        int size = 0;
        for (int i = 0; i < n; i++) {
            if (start[i] < start[i + 1]) {
                heap[size++] = i;
                up(heap, size - 1, cursor, byHost);
            }
        }
        long[] points = new long[byHost.length];
        int[] hosts = new int[byHost.length];
        for (int k = 0; size > 0; k++) {
            int h = heap[0];
            points[k] = byHost[cursor[h]];
            hosts[k] = h;
            if (++cursor[h] == start[h + 1]) {
                heap[0] = heap[--size];
            }
            down(heap, size, cursor, byHost);
        }
        return new RingHashTable(points, hosts);
    }

    private static boolean less(int a, int b, int[] cursor, long[] byHost) {
        long x = byHost[cursor[a]];
        long y = byHost[cursor[b]];
        return x < y || (x == y && a < b);
    }

    private static void up(int[] heap, int i, int[] cursor, long[] byHost) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!less(heap[i], heap[parent], cursor, byHost)) {
                return;
            }
            int t = heap[i];
            heap[i] = heap[parent];
            heap[parent] = t;
            i = parent;
        }
    }

    private static void down(int[] heap, int size, int[] cursor, long[] byHost) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            int smallest = i;
            if (l < size && less(heap[l], heap[smallest], cursor, byHost)) {
                smallest = l;
            }
            if (l + 1 < size && less(heap[l + 1], heap[smallest], cursor, byHost)) {
                smallest = l + 1;
            }
            if (smallest == i) {
                return;
            }
            int t = heap[i];
            heap[i] = heap[smallest];
            heap[smallest] = t;
            i = smallest;
        }
    }

    @Override
    public int size() {
        return points.length;
    }

    /** The first point at or above {@code hash} (unsigned), the first point of all past the last. */
    @Override
    public int entry(long hash) {
        long key = hash ^ Long.MIN_VALUE;
        int lo = 0;
        int hi = points.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (points[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == points.length ? 0 : lo;
    }

    @Override
    public int host(int entry) {
        return hosts[entry];
    }
}
