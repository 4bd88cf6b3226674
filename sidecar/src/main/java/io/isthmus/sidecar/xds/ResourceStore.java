package io.isthmus.sidecar.xds;

import com.google.protobuf.Message;

import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The resources in force, per type: the static ones from the bootstrap and the dynamic ones last
 * applied from the control plane, with their versions and the last rejection. Written only by
 * {@link ConfigApplier}; read by the admin endpoint from any thread (snapshots are immutable).
 */
public final class ResourceStore {

    /**
     * What is in force for one type.
     *
     * @param staticResources  from the bootstrap, by name
     * @param dynamicResources from the control plane, by name
     * @param version          version of the last applied dynamic update ("" before the first)
     * @param updated          when it was applied ({@link Instant#EPOCH} before the first)
     * @param lastRejection    the last NACKed update, if any
     */
    public record TypeState(Map<String, Message> staticResources, Map<String, Message> dynamicResources,
                            String version, Instant updated, Optional<Rejection> lastRejection) {
        public TypeState {
            staticResources = Map.copyOf(staticResources);
            dynamicResources = Map.copyOf(dynamicResources);
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(updated, "updated");
            Objects.requireNonNull(lastRejection, "lastRejection");
        }

        /** Static and dynamic together, static first, as handed to the handler. */
        public Map<String, Message> merged() {
            Map<String, Message> m = new LinkedHashMap<>(staticResources);
            m.putAll(dynamicResources);
            return m;
        }

        static TypeState empty() {
            return new TypeState(Map.of(), Map.of(), "", Instant.EPOCH, Optional.empty());
        }
    }

    /**
     * A rejected update.
     *
     * @param version the rejected version
     * @param detail  the {@code error_detail} sent
     * @param at      when
     */
    public record Rejection(String version, String detail, Instant at) {
        public Rejection {
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(detail, "detail");
            Objects.requireNonNull(at, "at");
        }
    }

    private final Map<XdsResourceType, TypeState> states = new EnumMap<>(XdsResourceType.class);

    /** Creates an empty store. */
    public ResourceStore() {
        for (XdsResourceType t : XdsResourceType.values()) {
            states.put(t, TypeState.empty());
        }
    }

    /** What is in force for {@code type}. */
    public synchronized TypeState state(XdsResourceType type) {
        return states.get(type);
    }

    /** Everything, by type. */
    public synchronized Map<XdsResourceType, TypeState> all() {
        return Map.copyOf(states);
    }

    synchronized void setStatic(XdsResourceType type, Map<String, Message> resources) {
        TypeState s = states.get(type);
        states.put(type, new TypeState(resources, s.dynamicResources(), s.version(), s.updated(), s.lastRejection()));
    }

    synchronized void setDynamic(XdsResourceType type, Map<String, Message> resources, String version, Instant at) {
        TypeState s = states.get(type);
        states.put(type, new TypeState(s.staticResources(), resources, version, at, s.lastRejection()));
    }

    synchronized void reject(XdsResourceType type, Rejection rejection) {
        TypeState s = states.get(type);
        states.put(type, new TypeState(s.staticResources(), s.dynamicResources(), s.version(), s.updated(),
                Optional.of(rejection)));
    }
}
