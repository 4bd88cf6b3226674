package io.isthmus.controller.config;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the supported Istio config kinds from one cluster's API server as generic resources
 * ({@code v1} of each group) with fabric8 informers, and feeds them to a {@link ConfigRegistry}
 * under the source name of the cluster. A cluster without the CRDs simply yields nothing.
 */
public final class KubernetesConfigWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesConfigWatcher.class);

    private final String cluster;
    private final KubernetesClient client;
    private final ConfigRegistry registry;
    private final List<SharedIndexInformer<GenericKubernetesResource>> informers = new ArrayList<>();
    private volatile boolean closed;

    public KubernetesConfigWatcher(String cluster, KubernetesClient client, ConfigRegistry registry) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.client = Objects.requireNonNull(client, "client");
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Starts one informer per kind; returns at once. */
    public KubernetesConfigWatcher start() {
        for (ConfigParser.Kind k : ConfigParser.KINDS) {
            ResourceDefinitionContext ctx = new ResourceDefinitionContext.Builder().withGroup(k.group())
                    .withVersion("v1").withKind(k.kind()).withPlural(k.plural()).withNamespaced(true).build();
            SharedIndexInformer<GenericKubernetesResource> inf = client.genericKubernetesResources(ctx)
                    .inAnyNamespace().runnableInformer(0);
            inf.addEventHandler(new ResourceEventHandler<>() {
                @Override
                public void onAdd(GenericKubernetesResource r) {
                    registry.upsert(cluster, r);
                }

                @Override
                public void onUpdate(GenericKubernetesResource oldR, GenericKubernetesResource newR) {
                    registry.upsert(cluster, newR);
                }

                @Override
                public void onDelete(GenericKubernetesResource r, boolean unknownFinalState) {
                    registry.delete(cluster, new ResourceRef(k.kind(), r.getMetadata().getNamespace(),
                            r.getMetadata().getName()));
                }
            });
            inf.exceptionHandler((started, t) -> {
                LOG.debug("config watch error [{}] {} {}", cluster, k.kind(), t.toString());
                return !closed;
            });
            inf.start();
            informers.add(inf);
        }
        LOG.info("config watch started [{}] kinds={}", cluster, ConfigParser.KINDS.stream().map(ConfigParser.Kind::kind).toList());
        return this;
    }

    @Override
    public void close() {
        closed = true;
        informers.forEach(SharedIndexInformer::stop);
    }
}
