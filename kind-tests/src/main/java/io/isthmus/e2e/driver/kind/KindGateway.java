package io.isthmus.e2e.driver.kind;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.isthmus.e2e.driver.MeshGateway;
import io.isthmus.mesh.MeshLabels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A network's east-west gateway in a kind cluster: the Deployment {@code istio-eastwestgateway} in
 * {@code isthmus-system}. Killing it deletes its pods with no grace period (its ReplicaSet starts
 * a new one at once, as after a node's process crash); restarting waits for a new pod to be Ready
 * and, when it runs on the node's network (as {@code up.sh} installs it, with no load balancer),
 * makes the Service announce that node's address as {@code up.sh} does, in case it moved.
 */
final class KindGateway implements MeshGateway {
    private static final Logger LOG = LoggerFactory.getLogger(KindGateway.class);

    private final KindCluster cluster;
    private volatile Set<String> killed = Set.of();

    KindGateway(KindCluster cluster) {
        this.cluster = cluster;
    }

    @Override
    public String network() {
        return cluster.network();
    }

    private List<Pod> pods() {
        return cluster.client().pods().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withLabel("istio", KindFederation.GATEWAY_LABEL)
                .list().getItems();
    }

    @Override
    public void kill() {
        List<Pod> pods = pods();
        if (pods.isEmpty()) {
            throw new IllegalStateException("no east-west gateway pod in " + cluster + " (istio=" + KindFederation.GATEWAY_LABEL + ")");
        }
        killed = Set.copyOf(pods.stream().map(p -> p.getMetadata().getName()).toList());
        for (Pod p : pods) {
            KindFederation.forceDelete(cluster, p);
        }
        LOG.info("east-west gateway killed [{}] pods {}", cluster.name(), killed);
    }

    @Override
    public void restart(Duration timeout) {
        Pod pod = Poll.until("a new east-west gateway pod Ready in " + cluster, timeout, () -> pods().stream()
                .filter(p -> !killed.contains(p.getMetadata().getName())).filter(KindCluster::ready).findFirst());
        announce(pod);
        LOG.info("east-west gateway back [{}] pod {}", cluster.name(), pod.getMetadata().getName());
    }

    /** Points the gateway Service's load-balancer address at the node of a host-network gateway pod. */
    void announce(Pod pod) {
        if (pod.getSpec() == null || !Boolean.TRUE.equals(pod.getSpec().getHostNetwork()) || pod.getStatus().getHostIP() == null) {
            return;
        }
        String ip = pod.getStatus().getHostIP();
        Service s = cluster.client().services().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(KindFederation.GATEWAY).get();
        if (s == null) {
            throw new IllegalStateException("no Service " + KindFederation.GATEWAY + " in " + cluster);
        }
        String announced = Optional.ofNullable(s.getStatus()).map(st -> st.getLoadBalancer())
                .map(LoadBalancerStatus::getIngress).filter(l -> !l.isEmpty()).map(l -> l.get(0).getIp()).orElse("");
        if (!ip.equals(announced)) {
            cluster.client().services().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(KindFederation.GATEWAY).editStatus(svc -> {
                if (svc.getStatus() == null) {
                    svc.setStatus(new io.fabric8.kubernetes.api.model.ServiceStatus());
                }
                svc.getStatus().setLoadBalancer(new LoadBalancerStatus(List.of(new LoadBalancerIngress(null, ip, null, List.of()))));
                return svc;
            });
            LOG.info("east-west gateway of [{}] announced at {} (was '{}')", cluster.name(), ip, announced);
        }
    }
}
