package io.isthmus.sidecar.lb;

/**
 * A consistent-hash lookup table over a list of hosts, numbered 0..n-1: a sequence of entries, each naming
 * a host, where a request hash lands on one entry. Walking on from that entry (wrapping) gives the hosts to
 * use in turn when the one it names cannot take the request. Immutable.
 */
sealed interface HashTable permits RingHashTable, MaglevTable {

    /** Number of entries, > 0. */
    int size();

    /** The entry a request hash lands on. */
    int entry(long hash);

    /** The host an entry names. */
    int host(int entry);
}
