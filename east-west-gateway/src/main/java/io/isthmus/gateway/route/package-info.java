/**
 * What the gateway may pass traffic to: the table from xDS cluster names to this network's local
 * endpoints, fixed SNI routes (the controller's port for remote clusters), and the decision for one
 * server name.
 */
package io.isthmus.gateway.route;
