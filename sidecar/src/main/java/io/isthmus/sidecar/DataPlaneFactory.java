package io.isthmus.sidecar;

/**
 * Starts the data plane for {@link Sidecar}. The default, {@link #DEFAULT}, is
 * {@link DataPlane#start(DataPlaneContext)}; tests and other engines may pass their own.
 */
@FunctionalInterface
public interface DataPlaneFactory {

    /** The data plane of this module. */
    DataPlaneFactory DEFAULT = DataPlane::start;

    /** Starts the engine; it receives resources only after this returns. */
    ProxyEngine start(DataPlaneContext context) throws Exception;
}
