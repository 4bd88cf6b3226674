package io.isthmus.controller.registry;

/**
 * Told after the registry changed. Called on a registry thread, never concurrently for one registry;
 * must return quickly (enqueue, debounce, push elsewhere).
 */
@FunctionalInterface
public interface RegistryListener {
    /** The registry already reflects {@code change} when this is called. */
    void onChange(RegistryChange change);
}
