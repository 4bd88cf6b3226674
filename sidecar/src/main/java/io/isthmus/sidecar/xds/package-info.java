/**
 * The proxy's xDS client and the contract between it and the data plane.
 *
 * <p>{@link io.isthmus.sidecar.xds.XdsClient} holds one ADS stream (state of the world) to the
 * control plane named by the bootstrap's {@code xds-grpc} cluster: CDS (wildcard) then EDS for the
 * clusters, LDS (wildcard) then RDS for the route configurations the listeners name, SDS
 * {@code ROOTCA}. Each update is validated and applied through a
 * {@link io.isthmus.sidecar.xds.ResourceHandler}; success is ACKed, an
 * {@link io.isthmus.sidecar.xds.XdsResourceException} is NACKed with its message as
 * {@code error_detail} while the last good config stays in force.
 *
 * <p><b>For the data plane</b> ({@code io.isthmus.sidecar.DataPlane}): implement
 * {@link io.isthmus.sidecar.ProxyEngine} (which is {@link io.isthmus.sidecar.xds.ResourceSink} +
 * {@code admin.ClusterStatusSource} + {@code close()}), with a
 * {@code public static DataPlane start(io.isthmus.sidecar.DataPlaneContext)}. Each handler
 * receives the complete set of its type (static bootstrap resources merged with dynamic ones),
 * validates all of it, throws {@code XdsResourceException(typeUrl, resourceName, field, reason)}
 * to reject (changing nothing), and otherwise has it in force when it returns. Handlers are called
 * from one thread, clusters and endpoints before the listeners and routes that use them. TLS
 * material (secrets {@code default} and {@code ROOTCA}) comes from
 * {@link io.isthmus.sidecar.cert.CertificateSource}, not from a handler here.
 */
package io.isthmus.sidecar.xds;
