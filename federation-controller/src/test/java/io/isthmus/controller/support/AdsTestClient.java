package io.isthmus.controller.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A minimal ADS client for tests: subscribes, collects responses, ACKs on request. */
public final class AdsTestClient implements AutoCloseable {
    private final ManagedChannel channel;
    private final LinkedBlockingQueue<DiscoveryResponse> received = new LinkedBlockingQueue<>();
    private final StreamObserver<DiscoveryRequest> requests;
    private final Node node;

    public AdsTestClient(ManagedChannel channel, Node node) {
        this.channel = channel;
        this.node = node;
        this.requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse r) {
                received.add(r);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
    }

    /**
     * Opens a stream of its own on {@code channel}, sends {@code request} and completes with the first
     * response, or with the {@link io.grpc.Status} the stream was refused or ended with.
     */
    public static java.util.concurrent.CompletableFuture<Object> firstAnswer(ManagedChannel channel, DiscoveryRequest request) {
        java.util.concurrent.CompletableFuture<Object> outcome = new java.util.concurrent.CompletableFuture<>();
        AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse r) {
                outcome.complete(r);
            }

            @Override
            public void onError(Throwable t) {
                outcome.complete(io.grpc.Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                outcome.complete(io.grpc.Status.OK.withDescription("completed by the server"));
            }
        }).onNext(request);
        return outcome;
    }

    /** Subscribes to a type (with the node on every request, as Envoy may). */
    public void subscribe(String typeUrl, List<String> names) {
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(typeUrl).addAllResourceNames(names).build());
    }

    /** ACKs a response, keeping the given names. */
    public void ack(DiscoveryResponse r, List<String> names) {
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
                .setResponseNonce(r.getNonce()).addAllResourceNames(names).build());
    }

    /** The next response of a type that satisfies {@code p}, within 15 s; earlier ones are dropped. */
    public DiscoveryResponse next(String typeUrl, Predicate<DiscoveryResponse> p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            DiscoveryResponse r = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (r != null && r.getTypeUrl().equals(typeUrl) && p.test(r)) {
                return r;
            }
        }
        assertThat(false).as("a " + typeUrl + " response matching the condition within 15 s").isTrue();
        return null;
    }

    /** The next response of any type within 15 s, in the order received. */
    public DiscoveryResponse next() throws InterruptedException {
        DiscoveryResponse r = received.poll(15, TimeUnit.SECONDS);
        assertThat(r).as("a response within 15 s").isNotNull();
        return r;
    }

    /** How many responses arrived that no {@code next} took yet. */
    public int unread() {
        return received.size();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
