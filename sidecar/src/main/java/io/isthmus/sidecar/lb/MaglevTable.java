package io.isthmus.sidecar.lb;

import java.util.Arrays;
import java.util.List;

/**
 * Envoy's Maglev lookup table: each host has a permutation of the entries, {@code (offset + skip × j) mod size}
 * with offset = xxHash64(key) mod size and skip = xxHash64(key, seed 1) mod (size − 1) + 1; the hosts take turns,
 * in proportion to their weights, claiming the next free entry of their permutation until the table is full. A
 * request hash lands on entry {@code hash mod size}. Removing a host moves its own entries and, since the table
 * is filled anew, a small share of the others'.
 */
final class MaglevTable implements HashTable {

    private final int[] table;

    private MaglevTable(int[] table) {
        this.table = table;
    }

    /**
     * Builds the table as Envoy does (its "original" table, pseudocode listing 1 of the paper with weights).
     *
     * @param keys each host's key (its address, {@code ip:port}), sorted
     * @param weights each host's share, all positive, summing to 1
     */
    static MaglevTable build(List<String> keys, double[] weights, HashLbConfig.Maglev config) {
        int size = config.tableSize();
        int n = keys.size();
        long[] offset = new long[n];
        long[] skip = new long[n];
        long[] next = new long[n];
        double[] target = new double[n];
        for (int i = 0; i < n; i++) {
            offset[i] = Long.remainderUnsigned(XxHash64.hash(keys.get(i), 0), size);
            skip[i] = Long.remainderUnsigned(XxHash64.hash(keys.get(i), 1), size - 1) + 1;
        }
        double most = Arrays.stream(weights).max().orElseThrow();
        int[] table = new int[size];
        Arrays.fill(table, -1);
        int filled = 0;
        for (long iteration = 1; filled < size; iteration++) {
            for (int i = 0; i < n && filled < size; i++) {
                // a host of the largest weight claims an entry in every round, one of a third of it every third round
                if (iteration * weights[i] < target[i]) {
                    continue;
                }
                target[i] += most;
                int c = (int) ((offset[i] + skip[i] * next[i]) % size);
                while (table[c] >= 0) {
                    next[i]++;
                    c = (int) ((offset[i] + skip[i] * next[i]) % size);
                }
                table[c] = i;
                next[i]++;
                filled++;
            }
        }
        return new MaglevTable(table);
    }

    @Override
    public int size() {
        return table.length;
    }

    @Override
    public int entry(long hash) {
        return (int) Long.remainderUnsigned(hash, table.length);
    }

    @Override
    public int host(int entry) {
        return table[entry];
    }
}
