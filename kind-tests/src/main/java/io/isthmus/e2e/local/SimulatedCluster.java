package io.isthmus.e2e.local;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.isthmus.e2e.driver.MeshCluster;
import io.isthmus.e2e.topology.ClusterSpec;
import io.isthmus.e2e.topology.NodeSpec;
import io.isthmus.e2e.topology.ServiceSpec;
import io.isthmus.e2e.topology.Topology;
import io.isthmus.mesh.MeshLabels;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One simulated cluster: its API server and the pods it runs. The runner plays kubelet and
 * endpoint controller here: a pod that starts is written as Running, and once ready its endpoint
 * goes into its service's EndpointSlice; a pod that dies is taken out.
 */
public final class SimulatedCluster implements MeshCluster, AutoCloseable {
    private final ClusterSpec spec;
    private final String nodeAddress;
    private final ApiServer api;
    private final Map<String, List<PodHandle>> podsByService = new ConcurrentHashMap<>();
    private volatile ChildProcess controller;

    SimulatedCluster(ClusterSpec spec, String nodeAddress, ApiServer api) {
        this.spec = spec;
        this.nodeAddress = nodeAddress;
        this.api = api;
    }

    /** Writes nodes, namespaces and the services that have workloads here (or are listed for all). */
    void seed(Topology topology, int clusterIndex) {
        KubernetesClient c = api.client();
        for (NodeSpec n : spec.nodes()) {
            c.nodes().resource(KubeObjects.node(spec, n)).createOr(NonDeletingOperation::update);
        }
        List<String> namespaces = new ArrayList<>(List.of(MeshLabels.SYSTEM_NAMESPACE, "default"));
        topology.services().forEach(s -> {
            if (!namespaces.contains(s.namespace())) {
                namespaces.add(s.namespace());
            }
        });
        for (String ns : namespaces) {
            c.namespaces().resource(KubeObjects.namespace(ns, spec.network())).createOr(NonDeletingOperation::update);
        }
        int ip = 10;
        for (ServiceSpec s : topology.services()) {
            boolean here = s.workloads().stream().anyMatch(w -> w.cluster().equals(spec.name()));
            if (here) {
                createService(s, "10.96." + clusterIndex + "." + (ip++));
            }
        }
    }

    /** Creates (or replaces) a Service here. */
    public void createService(ServiceSpec s, String clusterIp) {
        api.client().services().resource(KubeObjects.service(s, clusterIp)).createOr(NonDeletingOperation::update);
        syncEndpoints(s);
    }

    /** Publishes a pod (not ready yet). */
    void podStarting(PodHandle pod) {
        api.client().pods().resource(KubeObjects.pod(pod.record(), false)).createOr(NonDeletingOperation::update);
        podsByService.computeIfAbsent(pod.record().service(), k -> new CopyOnWriteArrayList<>()).add(pod);
    }

    /** Marks a pod ready: Ready condition and a ready endpoint. */
    PodHandle podReady(PodHandle pod, ServiceSpec service) {
        PodHandle ready = new PodHandle(pod.record().withReady(true), pod.process());
        replace(pod, ready);
        api.client().pods().resource(KubeObjects.pod(ready.record(), true)).createOr(NonDeletingOperation::update);
        syncEndpoints(service);
        return ready;
    }

    /** Takes a dead pod out: endpoint removed, Pod object deleted. */
    void podGone(PodHandle pod, ServiceSpec service) {
        List<PodHandle> list = podsByService.get(pod.record().service());
        if (list != null) {
            list.removeIf(p -> p.name().equals(pod.name()));
        }
        syncEndpoints(service);
        api.client().pods().inNamespace(pod.record().namespace()).withName(pod.name()).delete();
    }

    private void replace(PodHandle old, PodHandle now) {
        List<PodHandle> list = podsByService.get(old.record().service());
        list.replaceAll(p -> p.name().equals(old.name()) ? now : p);
    }

    /** Writes the service's EndpointSlice from the pods that run now. */
    synchronized void syncEndpoints(ServiceSpec s) {
        List<PodRecord> records = podsByService.getOrDefault(s.name(), List.of()).stream()
                .map(PodHandle::record).filter(r -> r.namespace().equals(s.namespace())).toList();
        EndpointSlice slice = KubeObjects.endpointSlice(s, records);
        if (api.client().services().inNamespace(s.namespace()).withName(s.name()).get() == null) {
            return;
        }
        api.client().discovery().v1().endpointSlices().resource(slice).createOr(NonDeletingOperation::update);
    }

    /** The cluster's spec. */
    public ClusterSpec spec() {
        return spec;
    }

    /** The cluster's name. */
    public String name() {
        return spec.name();
    }

    /** Its node address (API server, controller). */
    public String nodeAddress() {
        return nodeAddress;
    }

    /** GET {@code path} on its controller's monitoring port at its node address; 0 when unreachable. */
    @Override
    public int controllerStatus(String path) {
        try {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://"
                    + nodeAddress + ":" + io.isthmus.mesh.WellKnownPorts.CONTROLLER_MONITORING + path))
                    .timeout(java.time.Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** GET {@code pathAndQuery} on its controller's monitoring port at its node address; throws unless it answers 200. */
    @Override
    public String controllerGet(String pathAndQuery) {
        return io.isthmus.e2e.driver.ControllerPorts.get(nodeAddress, io.isthmus.mesh.WellKnownPorts.CONTROLLER_MONITORING,
                pathAndQuery, "controller of " + name());
    }

    /** The chain its controller presents on 15012 at its node address. */
    @Override
    public List<java.security.cert.X509Certificate> controllerServingChain() {
        return io.isthmus.e2e.driver.ControllerPorts.servingChain(nodeAddress, io.isthmus.mesh.WellKnownPorts.XDS_SECURE,
                "controller of " + name());
    }

    /** Its API server. */
    public ApiServer api() {
        return api;
    }

    /** A client of its API server. */
    public KubernetesClient client() {
        return api.client();
    }

    /** The running pods of a service here. */
    public List<PodHandle> pods(String service) {
        return List.copyOf(podsByService.getOrDefault(service, List.of()));
    }

    /** Every running pod here. */
    public List<PodHandle> pods() {
        return podsByService.values().stream().flatMap(List::stream).toList();
    }

    /** The Pod object of a pod, or null. */
    public Pod podObject(String namespace, String name) {
        return api.client().pods().inNamespace(namespace).withName(name).get();
    }

    /** Its controller process, or null when none runs. */
    public ChildProcess controller() {
        return controller;
    }

    @Override
    public boolean runsController() {
        return controller != null;
    }

    @Override
    public void stopApiServer() {
        api.stop();
    }

    @Override
    public void restartApiServer() {
        api.restart();
    }

    void controller(ChildProcess c) {
        this.controller = c;
    }

    @Override
    public void close() {
        ChildProcess c = controller;
        if (c != null) {
            c.close();
        }
        api.close();
    }
}
