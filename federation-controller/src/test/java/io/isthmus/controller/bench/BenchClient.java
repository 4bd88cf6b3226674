package io.isthmus.controller.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.isthmus.controller.xds.XdsType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A simulated proxy: CDS and LDS wildcard, EDS for every cluster CDS names, RDS for the given
 * routes; ACKs everything, keeps only versions.
 */
final class BenchClient implements StreamObserver<DiscoveryResponse> {
    private final Node node;
    private final List<String> routes;
    private final Consumer<BenchClient> onEds;
    private StreamObserver<DiscoveryRequest> out;
    private List<String> edsNames = List.of();
    volatile String edsVersion = "";
    private String edsNonce = "";
    volatile long edsAt;

    BenchClient(Node node, List<String> routes, Consumer<BenchClient> onEds) {
        this.node = node;
        this.routes = routes;
        this.onEds = onEds;
    }

    void start(Channel ch) {
        out = AggregatedDiscoveryServiceGrpc.newStub(ch).streamAggregatedResources(this);
        synchronized (this) {
            out.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(XdsType.CLUSTER.typeUrl()).build());
            out.onNext(DiscoveryRequest.newBuilder().setTypeUrl(XdsType.LISTENER.typeUrl()).build());
            out.onNext(DiscoveryRequest.newBuilder().setTypeUrl(XdsType.ROUTE.typeUrl()).addAllResourceNames(routes).build());
        }
    }

    @Override
    public synchronized void onNext(DiscoveryResponse r) {
        List<String> names = List.of();
        if (r.getTypeUrl().equals(XdsType.CLUSTER.typeUrl())) {
            List<String> eds = new ArrayList<>();
            for (var any : r.getResourcesList()) {
                try {
                    Cluster c = any.unpack(Cluster.class);
                    if (c.getType() == Cluster.DiscoveryType.EDS) {
                        eds.add(c.getName());
                    }
                } catch (InvalidProtocolBufferException e) {
                    throw new IllegalStateException(e);
                }
            }
            boolean changed = !eds.equals(edsNames);
            edsNames = eds;
            ack(r, List.of());
            if (changed) {
                out.onNext(DiscoveryRequest.newBuilder().setTypeUrl(XdsType.ENDPOINT.typeUrl()).addAllResourceNames(edsNames)
                        .setResponseNonce(edsNonce)
                        .setVersionInfo(edsVersion).build());
            }
            return;
        }
        if (r.getTypeUrl().equals(XdsType.ENDPOINT.typeUrl())) {
            names = edsNames;
            edsVersion = r.getVersionInfo();
            edsNonce = r.getNonce();
            edsAt = System.nanoTime();
            ack(r, names);
            onEds.accept(this);
            return;
        }
        if (r.getTypeUrl().equals(XdsType.ROUTE.typeUrl())) {
            names = routes;
        }
        ack(r, names);
    }

    private void ack(DiscoveryResponse r, List<String> names) {
        out.onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
                .setResponseNonce(r.getNonce()).addAllResourceNames(names).build());
    }

    @Override
    public void onError(Throwable t) {
    }

    @Override
    public void onCompleted() {
    }
}
