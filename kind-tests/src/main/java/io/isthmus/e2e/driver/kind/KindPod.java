package io.isthmus.e2e.driver.kind;

import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.driver.MeshPod;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A demo pod in a kind cluster, driven through its control port by port-forward. The demo app of
 * {@code topology-configs/manifests/demo} reports its node's name as its zone ({@code --zone=$(NODE_NAME)}:
 * the downward API has no node labels), so the load reports' zones are translated here to the
 * node's {@code topology.kubernetes.io/zone}, read from the API servers. Load timestamps are the
 * pod's clock, which on kind is the driver's (the nodes are containers of the same kernel).
 */
public final class KindPod implements MeshPod {
    private final KindCluster cluster;
    private final String namespace;
    private final String name;
    private final String node;
    private final String zone;
    private final String address;
    private final boolean sidecar;

    KindPod(KindCluster cluster, String namespace, String name, String node, String zone, String address, boolean sidecar) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.name = Objects.requireNonNull(name, "name");
        this.node = Objects.requireNonNullElse(node, "");
        this.zone = Objects.requireNonNullElse(zone, "");
        this.address = Objects.requireNonNullElse(address, "");
        this.sidecar = sidecar;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String cluster() {
        return cluster.name();
    }

    /** Its namespace. */
    public String namespace() {
        return namespace;
    }

    /** The node it runs on. */
    public String node() {
        return node;
    }

    @Override
    public String zone() {
        return zone;
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public boolean hasSidecar() {
        return sidecar;
    }

    @Override
    public String control(String pathAndQuery, Duration timeout) {
        return cluster.federation().forwards().control(cluster.client(), this, pathAndQuery, timeout);
    }

    @Override
    public LoadReport loadStats(String name) {
        return zoned(MeshPod.super.loadStats(name), cluster.federation().nodeZones());
    }

    @Override
    public LoadReport stopLoad(String name) {
        return zoned(MeshPod.super.stopLoad(name), cluster.federation().nodeZones());
    }

    /** The report with each sample's zone (a node name, as the demo app reports it) replaced by that node's zone. */
    static LoadReport zoned(LoadReport r, Map<String, String> nodeZones) {
        return new LoadReport(r.sent(), r.ok(), r.failed(), r.byCluster(), r.samples().stream()
                .map(s -> new LoadReport.Sample(s.startMillis(), s.status(), s.cluster(), nodeZones.getOrDefault(s.zone(), s.zone()),
                        s.version(), s.latencyMicros(), s.error(), s.peer()))
                .toList());
    }

    @Override
    public String toString() {
        return cluster.name() + "/" + namespace + "/" + name + "@" + address;
    }
}
