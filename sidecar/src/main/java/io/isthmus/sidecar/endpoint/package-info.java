/**
 * Concrete upstream endpoints: EDS load assignments translated to priorities, localities and
 * endpoints, each endpoint's live state (active requests, outlier ejection), outlier detection, and
 * the expansion of DNS clusters' host names into endpoints ({@link io.isthmus.sidecar.endpoint.HostResolver}).
 */
package io.isthmus.sidecar.endpoint;
