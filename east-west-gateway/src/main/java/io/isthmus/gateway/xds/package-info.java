/**
 * The gateway as the sidecar's xDS client sees it: a proxy engine that turns CDS and EDS for the
 * gateway's network view into the passthrough table, and ignores listener and route resources.
 */
package io.isthmus.gateway.xds;
