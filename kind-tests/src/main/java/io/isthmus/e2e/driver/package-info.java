/**
 * What the end-to-end scenarios drive, whatever runs the mesh: a {@link io.isthmus.e2e.driver.Federation}
 * of {@link io.isthmus.e2e.driver.MeshCluster}s whose {@link io.isthmus.e2e.driver.MeshPod}s make calls
 * and steady load from inside themselves, lose and regain pods, controllers, gateways and remote
 * secrets, take Istio config and an operator's CA files, and show their controllers' debug ports and
 * serving chain ({@link io.isthmus.e2e.driver.ControllerPorts}). The local federation ({@code io.isthmus.e2e.local}) and real kind
 * clusters ({@code io.isthmus.e2e.driver.kind}) implement it; a step one target cannot do honestly
 * is a {@link io.isthmus.e2e.driver.Capability} it lacks, reported with the reason.
 */
package io.isthmus.e2e.driver;
