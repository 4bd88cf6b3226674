/** Programs behind {@code bench/sidecar.sh}: certificates, a 1 KiB app, one proxy per process, a load generator. */
package io.isthmus.sidecar.bench;
