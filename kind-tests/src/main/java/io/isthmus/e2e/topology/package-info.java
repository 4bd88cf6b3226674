/**
 * The federation topology format of {@code topology-configs/}: clusters, networks, localities,
 * services and their workloads, and which clusters hold remote secrets of which; records and the
 * validating YAML loader.
 */
package io.isthmus.e2e.topology;
