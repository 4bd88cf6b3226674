/** Benchmark harnesses run by {@code bench/ca.sh}; not tests. */
package io.isthmus.trust.bench;
