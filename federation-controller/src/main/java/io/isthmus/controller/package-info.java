/**
 * The control plane: discovery, the federated registry, xDS translation and transport, and the CA.
 */
package io.isthmus.controller;
