/**
 * The local federation's network, in one of two modes ({@link io.isthmus.e2e.net.NetworkMode}).
 * Namespace mode ({@link io.isthmus.e2e.net.NetworkSandbox}): an outer network namespace with no
 * route off the machine, one bridge per cluster network plus a public network for east-west
 * gateways, one network namespace and veth per pod, and the route checks that run before the
 * first packet; everything is done with {@code ip} commands, everything it makes is named
 * {@code isthmus-*} and removed at stop, or at the next start after a crash. Loopback mode
 * ({@link io.isthmus.e2e.net.LoopbackNetwork}, no privileges): every part on its own 127.x.y.z
 * addresses ({@link io.isthmus.e2e.net.LoopbackPlan}), nothing isolated, every child marked so
 * the next start or {@code isthmus local down} kills what a crash left.
 */
package io.isthmus.e2e.net;
