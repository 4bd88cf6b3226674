package io.isthmus.e2e.local;

import io.fabric8.kubernetes.api.model.Secret;
import io.isthmus.mesh.MeshLabels;

import java.lang.reflect.Method;

/**
 * Makes remote secrets the way {@code isthmus create-remote-secret} does: with the controller's
 * builder ({@code io.isthmus.controller.federation.RemoteSecrets#remoteSecret}) when it is on the
 * classpath, else with {@link KubeObjects#remoteSecret} (the same documented shape).
 */
final class RemoteSecretFactory {
    private static final String BUILDER = "io.isthmus.controller.federation.RemoteSecrets";

    private RemoteSecretFactory() {
    }

    static Secret remoteSecret(String cluster, String kubeconfig) {
        try {
            Class<?> type = Class.forName(BUILDER);
            Method m = type.getMethod("remoteSecret", String.class, String.class, String.class);
            return (Secret) m.invoke(null, cluster, kubeconfig, MeshLabels.SYSTEM_NAMESPACE);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            return KubeObjects.remoteSecret(cluster, kubeconfig);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("remote secret of " + cluster + ": " + e.getCause(), e.getCause());
        }
    }
}
