package io.isthmus.e2e.local;

import io.isthmus.e2e.net.PodNetwork;
import io.isthmus.e2e.driver.MeshGateway;
import io.isthmus.e2e.topology.ClusterSpec;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.mesh.WellKnownPorts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A network's east-west gateway: {@code isthmus gateway} in its own namespace with one leg on
 * the network and one on the public network, bootstrapped as a {@code router} node with
 * {@code REQUESTED_NETWORK_VIEW} = its network, its control plane the first cluster of the network.
 */
public final class GatewayProcess implements MeshGateway, AutoCloseable {
    private final String network;
    private final PodNetwork net;
    private final List<String> args;
    private final LocalFederation federation;
    private volatile ChildProcess process;

    private GatewayProcess(LocalFederation federation, String network, PodNetwork net, List<String> args) {
        this.federation = federation;
        this.network = network;
        this.net = net;
        this.args = args;
    }

    static GatewayProcess start(LocalFederation f, String network) {
        ClusterSpec owner = f.topology().clusters().stream().filter(c -> c.network().equals(network)).findFirst().orElseThrow();
        PodNetwork net = f.network().addGateway(network);
        String pod = KubeObjects.GATEWAY_NAME + "-0";
        var node = owner.nodes().get(0);
        PodLauncher launcher = f.podLauncher();
        String[] xds = launcher.controlPlaneAddress(owner.name(), true);
        Bootstrap b = new Bootstrap(ProxyMetadata.TYPE_ROUTER, pod, MeshLabels.SYSTEM_NAMESPACE, net.address(),
                KubeObjects.GATEWAY_NAME, owner.name(), network, node.region(), node.zone(), node.subzone(),
                KubeObjects.GATEWAY_SERVICE_ACCOUNT, Map.of("istio", "eastwestgateway", MeshLabels.NETWORK, network), "",
                xds[0], Integer.parseInt(xds[1]));
        List<String> args = new ArrayList<>(launcher.proxyFiles("gw-" + network, b, MeshLabels.SYSTEM_NAMESPACE,
                KubeObjects.GATEWAY_SERVICE_ACCOUNT));
        // In its own namespace it listens on every leg; in loopback mode on its own address only.
        args.addAll(List.of("--passthrough-address", net.isolated() ? "0.0.0.0" : net.address(),
                "--passthrough-port", Integer.toString(WellKnownPorts.EAST_WEST_PASSTHROUGH)));
        if (!net.isolated()) {
            args.addAll(List.of("--admin-address", net.address(), "--health-address", net.address()));
        }
        if (owner.role() == ClusterSpec.Role.PRIMARY) {
            // Proxies of remote clusters reach this primary's controller through its gateway.
            args.addAll(List.of("--controller-address", f.cluster(owner.name()).nodeAddress() + ":" + WellKnownPorts.XDS_SECURE));
        }
        GatewayProcess g = new GatewayProcess(f, network, net, List.copyOf(args));
        g.launch();
        return g;
    }

    private void launch() {
        process = ChildProcess.startJava("gateway-" + network, net.execPrefix(), "128m", Parts.GATEWAY.mainClass(), args,
                federation.options().workDir().resolve("logs"));
    }

    /** Waits until the gateway accepts connections on its public passthrough port. */
    void awaitReady(Duration timeout) {
        ChildProcess p = process;
        Waits.until("east-west gateway of " + network + " on " + publicAddress() + ":" + WellKnownPorts.EAST_WEST_PASSTHROUGH,
                timeout, () -> {
                    if (!p.alive()) {
                        throw new Waits.Fatal("gateway exited");
                    }
                    return Waits.tcpOpen(publicAddress(), WellKnownPorts.EAST_WEST_PASSTHROUGH);
                }, () -> "log " + p.log() + ":\n" + p.tail(30));
    }

    /** Kills the gateway (SIGKILL). */
    @Override
    public void kill() {
        process.kill();
    }

    /** Starts it again after {@link #kill()} and waits until it listens. */
    @Override
    public void restart(Duration timeout) {
        launch();
        awaitReady(timeout);
    }

    /** Its network. */
    @Override
    public String network() {
        return network;
    }

    /** Its address on the public network (what other networks' proxies dial). */
    public String publicAddress() {
        return net.addresses().get(1);
    }

    /** Its process. */
    public ChildProcess process() {
        return process;
    }

    @Override
    public void close() {
        ChildProcess p = process;
        if (p != null) {
            p.close();
        }
    }
}
