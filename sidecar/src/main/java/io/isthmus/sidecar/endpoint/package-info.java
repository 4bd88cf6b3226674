/**
 * Concrete upstream endpoints: EDS load assignments translated to priorities, localities and
 * endpoints, each endpoint's live state (active requests, outlier ejection), and outlier detection.
 */
package io.isthmus.sidecar.endpoint;
