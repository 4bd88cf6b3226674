package io.isthmus.sidecar;

/**
 * Starts the data plane for {@link Sidecar}. The default, {@link #DEFAULT}, calls
 * {@code io.isthmus.sidecar.DataPlane.start(DataPlaneContext)}; tests and other engines (the
 * east-west gateway) may pass their own.
 */
@FunctionalInterface
public interface DataPlaneFactory {

    /** The data plane of this module. */
    DataPlaneFactory DEFAULT = context -> {
        try {
            Class<?> c = Class.forName("io.isthmus.sidecar.DataPlane");
            Object engine = c.getMethod("start", DataPlaneContext.class).invoke(null, context);
            return (ProxyEngine) engine;
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof Exception ex ? ex : new IllegalStateException(e.getCause());
        }
    };

    /** Starts the engine; it receives resources only after this returns. */
    ProxyEngine start(DataPlaneContext context) throws Exception;
}
