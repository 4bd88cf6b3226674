/**
 * What the end-to-end scenarios share: the one running federation per topology, scenario reports
 * and their summary table, probes that count every request, and Istio config writers.
 */
package io.isthmus.e2e.support;
