/**
 * The demo app of the local federation: answers on its service ports, over HTTP and over gRPC
 * ({@code isthmus.demo.v1.Demo}, h2c on the same port), with who it is (cluster, zone, pod,
 * version) and who called it (the SPIFFE ID from {@code X-Forwarded-Client-Cert}), can be told to
 * fail or slow down, and on a plain control port on the pod address lets the test driver make
 * HTTP and gRPC calls from inside the pod (by hostname, through the pod's DNS and sidecar) and run
 * steady load. One JVM per pod may also host the pod's sidecar.
 */
package io.isthmus.e2e.demo;
