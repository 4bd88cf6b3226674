package io.isthmus.controller.config;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.isthmus.mesh.MeshLabels;
import java.util.Map;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the supported Istio config kinds from one cluster's API server as generic resources
 * ({@code v1} of each group) with fabric8 informers, and feeds them to a {@link ConfigRegistry}
 * under the source name of the cluster. A cluster without the CRDs simply yields nothing. Secrets
 * shaped like TLS credentials ({@link CredentialSecret#isCredential}) are read too, marked with the
 * cluster they came from; every other Secret is skipped.
 *
 * <p>{@link #credentialsOnly} watches only those Secrets: for a remote cluster joined by remote
 * secret, whose gateways connect to this controller and need their own cluster's credentials (as
 * Istio reads them through the remote secret's kubeconfig) while its Istio config comes from here.
 */
public final class KubernetesConfigWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesConfigWatcher.class);

    private final String cluster;
    private final KubernetesClient client;
    private final ConfigRegistry registry;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private final boolean credentialsOnly;
    private final List<CompletableFuture<Void>> initialLists = new ArrayList<>();
    private final CompletableFuture<Void> synced = new CompletableFuture<>();
    private volatile boolean closed;

    public KubernetesConfigWatcher(String cluster, KubernetesClient client, ConfigRegistry registry) {
        this(cluster, client, registry, false);
    }

    private KubernetesConfigWatcher(String cluster, KubernetesClient client, ConfigRegistry registry, boolean credentialsOnly) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.client = Objects.requireNonNull(client, "client");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.credentialsOnly = credentialsOnly;
    }

    /**
     * A watcher of the TLS-credential Secrets of a cluster only, under the source name of the
     * cluster. Once it has listed, the source holds exactly the Secrets listed (so a watcher that
     * replaces another one for a new client drops what was deleted in between).
     */
    public static KubernetesConfigWatcher credentialsOnly(String cluster, KubernetesClient client, ConfigRegistry registry) {
        return new KubernetesConfigWatcher(cluster, client, registry, true);
    }

    /** Starts one informer per kind; returns at once. */
    public KubernetesConfigWatcher start() {
        if (credentialsOnly) {
            SharedIndexInformer<Secret> inf = watchSecrets();
            inf.start().whenComplete((v, t) -> {
                if (t == null && !closed) {
                    List<GenericKubernetesResource> listed = new ArrayList<>();
                    for (Secret s : inf.getStore().list()) {
                        credential(s).ifPresent(listed::add);
                    }
                    registry.replaceSource(cluster, listed);
                    LOG.info("credential Secrets listed [{}] count={}", cluster, listed.size());
                    synced.complete(null);
                } else if (t != null && !closed) {
                    LOG.warn("credential Secrets not readable, gateways of this cluster get no kubernetes:// secrets [{}] {}",
                            cluster, t.toString());
                }
            });
            LOG.info("credential Secret watch started [{}]", cluster);
            return this;
        }
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
            track(inf.start());
            informers.add(inf);
        }
        track(watchSecrets().start());
        watchMeshConfigMaps();
        CompletableFuture.allOf(initialLists.toArray(CompletableFuture[]::new)).whenComplete((v, t) -> {
            if (t == null) {
                LOG.info("config synced [{}]", cluster);
            }
            synced.complete(null);
        });
        LOG.info("config watch started [{}] kinds={} and credential Secrets and ConfigMap istio", cluster, ConfigParser.KINDS.stream().map(ConfigParser.Kind::kind).toList());
        return this;
    }

    /** The ConfigMaps named {@code istio} (mesh-wide MeshConfig in its {@code mesh} key; only the root namespace's counts). */
    private void watchMeshConfigMaps() {
        SharedIndexInformer<io.fabric8.kubernetes.api.model.ConfigMap> inf = client.configMaps().inAnyNamespace()
                .withField("metadata.name", MeshSettings.NAME).runnableInformer(0);
        inf.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(io.fabric8.kubernetes.api.model.ConfigMap c) {
                applyConfigMap(c);
            }

            @Override
            public void onUpdate(io.fabric8.kubernetes.api.model.ConfigMap oldC, io.fabric8.kubernetes.api.model.ConfigMap newC) {
                applyConfigMap(newC);
            }

            @Override
            public void onDelete(io.fabric8.kubernetes.api.model.ConfigMap c, boolean unknownFinalState) {
                registry.delete(cluster, new ResourceRef(MeshSettings.KIND, c.getMetadata().getNamespace(), c.getMetadata().getName()));
            }
        });
        inf.exceptionHandler((started, t) -> {
            LOG.debug("config watch error [{}] ConfigMap {}", cluster, t.toString());
            return !closed;
        });
        track(inf.start());
        informers.add(inf);
    }

    /**
     * Completes once every informer has listed once, so the registry holds this cluster's config as
     * it was at start (never completes while a kind cannot be listed; callers bound the wait).
     */
    public CompletableFuture<Void> synced() {
        return synced;
    }

    private void track(java.util.concurrent.CompletionStage<Void> started) {
        initialLists.add(started.toCompletableFuture());
    }

    private void applyConfigMap(io.fabric8.kubernetes.api.model.ConfigMap c) {
        if (!MeshSettings.NAME.equals(c.getMetadata().getName())) {
            return;
        }
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion("v1");
        r.setKind(MeshSettings.KIND);
        r.setMetadata(new ObjectMetaBuilder().withName(c.getMetadata().getName())
                .withNamespace(c.getMetadata().getNamespace()).build());
        if (c.getData() != null) {
            r.setAdditionalProperty("data", c.getData());
        }
        registry.upsert(cluster, r);
    }

    private SharedIndexInformer<Secret> watchSecrets() {
        SharedIndexInformer<Secret> inf = client.secrets().inAnyNamespace().runnableInformer(0);
        inf.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Secret s) {
                apply(s);
            }

            @Override
            public void onUpdate(Secret oldS, Secret newS) {
                apply(newS);
            }

            @Override
            public void onDelete(Secret s, boolean unknownFinalState) {
                registry.delete(cluster, ref(s));
            }
        });
        inf.exceptionHandler((started, t) -> {
            LOG.debug("config watch error [{}] Secret {}", cluster, t.toString());
            return !closed;
        });
        informers.add(inf);
        return inf;
    }

    private void apply(Secret s) {
        java.util.Optional<GenericKubernetesResource> r = credential(s);
        if (r.isEmpty()) {
            registry.delete(cluster, ref(s));
        } else {
            registry.upsert(cluster, r.get());
        }
    }

    /** A Secret as a config resource marked with this cluster, when it looks like TLS credentials. */
    private java.util.Optional<GenericKubernetesResource> credential(Secret s) {
        java.util.Set<String> keys = new java.util.HashSet<>();
        if (s.getData() != null) {
            keys.addAll(s.getData().keySet());
        }
        if (s.getStringData() != null) {
            keys.addAll(s.getStringData().keySet());
        }
        boolean remote = s.getMetadata().getLabels() != null && s.getMetadata().getLabels().containsKey(MeshLabels.MULTI_CLUSTER);
        if (remote || !CredentialSecret.isCredential(s.getType(), keys)) {
            return java.util.Optional.empty();
        }
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion("v1");
        r.setKind(CredentialSecret.KIND);
        r.setMetadata(new ObjectMetaBuilder().withName(s.getMetadata().getName())
                .withNamespace(s.getMetadata().getNamespace())
                .withAnnotations(Map.of(CredentialSecret.CLUSTER_ANNOTATION, cluster)).build());
        r.setAdditionalProperty("type", s.getType() == null ? "Opaque" : s.getType());
        if (s.getData() != null) {
            r.setAdditionalProperty("data", s.getData());
        }
        if (s.getStringData() != null) {
            r.setAdditionalProperty("stringData", s.getStringData());
        }
        return java.util.Optional.of(r);
    }

    private static ResourceRef ref(Secret s) {
        return new ResourceRef(CredentialSecret.KIND, s.getMetadata().getNamespace(), s.getMetadata().getName());
    }

    @Override
    public void close() {
        closed = true;
        informers.forEach(SharedIndexInformer::stop);
    }
}
