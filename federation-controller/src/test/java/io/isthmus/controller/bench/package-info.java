/** Benchmark drivers run by {@code bench/controller.sh}; not tests (no {@code *Test} names). */
package io.isthmus.controller.bench;
