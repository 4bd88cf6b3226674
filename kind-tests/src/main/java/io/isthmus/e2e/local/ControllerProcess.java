package io.isthmus.e2e.local;

import io.isthmus.e2e.topology.Topology;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.WellKnownPorts;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Starts a primary cluster's controller as a child JVM in the outer namespace, with the flags of {@code isthmus controller}. */
final class ControllerProcess {
    private ControllerProcess() {
    }

    /**
     * The controller's command-line arguments. Its Hazelcast member stays on 127.0.0.1 in both
     * modes (Hazelcast binds only addresses an interface carries), on a port of its own (5701 + the
     * cluster's index), so no two controllers share a port.
     */
    static List<String> args(SimulatedCluster sc, int index, Topology topology, LocalPki pki, Path tokens, Path workDir) {
        return List.of("--cluster", sc.name(), "--network", sc.spec().network(),
                "--kubeconfig", workDir.resolve("kubeconfig-" + sc.name()).toAbsolutePath().toString(),
                "--system-namespace", MeshLabels.SYSTEM_NAMESPACE,
                "--ca-dir", pki.caDir(sc.name()).toAbsolutePath().toString(),
                "--trust-domain", topology.trustDomain(),
                "--listen-address", sc.nodeAddress(),
                "--secure-xds-port", Integer.toString(WellKnownPorts.XDS_SECURE),
                "--monitoring-port", Integer.toString(WellKnownPorts.CONTROLLER_MONITORING),
                "--bootstrap-tokens", tokens.toAbsolutePath().toString(),
                "--hazelcast-port", Integer.toString(WellKnownPorts.HAZELCAST + index),
                "--push-debounce", "100ms");
    }

    static ChildProcess start(SimulatedCluster sc, int index, Topology topology, LocalPki pki, Path tokens, Path workDir) {
        return ChildProcess.startJava("controller-" + sc.name(), List.of(), "256m", Parts.CONTROLLER.mainClass(),
                args(sc, index, topology, pki, tokens, workDir), workDir.resolve("logs"));
    }

    /** Waits until the controller accepts connections on its secure xDS port. */
    static void awaitReady(SimulatedCluster sc, Duration timeout) {
        ChildProcess p = sc.controller();
        Waits.until("controller of " + sc.name() + " on " + sc.nodeAddress() + ":" + WellKnownPorts.XDS_SECURE, timeout, () -> {
            if (!p.alive()) {
                throw new Waits.Fatal("controller of " + sc.name() + " exited");
            }
            return Waits.tcpOpen(sc.nodeAddress(), WellKnownPorts.XDS_SECURE);
        }, () -> p.alive() ? "log " + p.log() + ":\n" + p.tail(30) : "controller exited:\n" + p.tail(30));
    }
}
