package io.isthmus.sidecar.route;

import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The header mutation of one level (route configuration, virtual host, route or weighted cluster) in one direction:
 * Envoy's {@code *_headers_to_remove} and {@code *_headers_to_add}. Applied as Envoy applies it: the removals
 * first; then every addition is judged against the headers as the removals left them, the overwrites are made and
 * then the appends. A value that renders empty is skipped unless {@code keep_empty_value}.
 *
 * @param remove header names (lower case) to remove
 * @param add headers to add, in configuration order
 */
public record HeaderMutation(List<String> remove, List<Add> add) {

    /** No mutation. */
    public static final HeaderMutation NONE = new HeaderMutation(List.of(), List.of());

    /** Envoy's {@code HeaderValueOption.HeaderAppendAction}. */
    public enum AppendAction {
        /** Adds a value, after any the header has (Envoy's default). */
        APPEND_IF_EXISTS_OR_ADD,
        /** Adds the header only when it is absent. */
        ADD_IF_ABSENT,
        /** Replaces every value of the header, or adds it. */
        OVERWRITE_IF_EXISTS_OR_ADD,
        /** Replaces every value of the header only when it is present. */
        OVERWRITE_IF_EXISTS;

        /** Whether it depends on the header being present. */
        boolean conditional() {
            return this == ADD_IF_ABSENT || this == OVERWRITE_IF_EXISTS;
        }
    }

    /**
     * One header to add.
     *
     * @param name the header name, lower case
     * @param value its value
     * @param action what happens when the header exists
     * @param keepEmpty Envoy's {@code keep_empty_value}: a value that renders empty is still added
     */
    public record Add(String name, HeaderFormat value, AppendAction action, boolean keepEmpty) {
        public Add {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(action, "action");
            if (name.isEmpty() || !name.equals(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("header name must be non-empty lower case: '" + name + "'");
            }
        }
    }

    public HeaderMutation {
        remove = List.copyOf(remove);
        add = List.copyOf(add);
    }

    /** True when it changes nothing. */
    public boolean isEmpty() {
        return remove.isEmpty() && add.isEmpty();
    }

    /** Mutates {@code headers} for the request {@code context} describes. */
    public void apply(MultiMap headers, HeaderContext context) {
        for (int i = 0, n = remove.size(); i < n; i++) {
            headers.remove(remove.get(i));
        }
        int n = add.size();
        if (n == 0) {
            return;
        }
        // which conditional additions find their header: judged before any addition of this level, as Envoy does
        long presentBits = 0;
        boolean[] present = n > Long.SIZE ? new boolean[n] : null;
        for (int i = 0; i < n; i++) {
            Add a = add.get(i);
            if (a.action().conditional() && headers.contains(a.name())) {
                if (present != null) {
                    present[i] = true;
                } else {
                    presentBits |= 1L << i;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            Add a = add.get(i);
            boolean found = present != null ? present[i] : (presentBits & (1L << i)) != 0;
            if (a.action() == AppendAction.OVERWRITE_IF_EXISTS_OR_ADD
                    || (a.action() == AppendAction.OVERWRITE_IF_EXISTS && found)) {
                String v = a.value().render(context);
                if (!v.isEmpty() || a.keepEmpty()) {
                    headers.set(a.name(), v);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            Add a = add.get(i);
            boolean found = present != null ? present[i] : (presentBits & (1L << i)) != 0;
            if (a.action() == AppendAction.APPEND_IF_EXISTS_OR_ADD || (a.action() == AppendAction.ADD_IF_ABSENT && !found)) {
                String v = a.value().render(context);
                if (!v.isEmpty() || a.keepEmpty()) {
                    headers.add(a.name(), v);
                }
            }
        }
    }
}
