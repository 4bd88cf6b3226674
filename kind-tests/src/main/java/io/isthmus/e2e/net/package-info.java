/**
 * The local federation's network: an outer network namespace with no route off the machine,
 * one bridge per cluster network plus a public network for east-west gateways, one network
 * namespace and veth per pod, and the route checks that run before the first packet. Everything
 * is done with {@code ip} commands; everything it makes is named {@code isthmus-*} and removed at
 * stop, or at the next start after a crash.
 */
package io.isthmus.e2e.net;
