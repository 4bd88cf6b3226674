package io.isthmus.controller.config;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads config resources from YAML files (several documents separated by {@code ---}, or a {@code List}). */
public final class ConfigFiles {

    private ConfigFiles() {
    }

    /**
     * The resources of a file as generic resources, in file order.
     *
     * @throws IllegalArgumentException when a document is not YAML of a Kubernetes object (the
     *     message names the file and document number)
     */
    public static List<GenericKubernetesResource> read(Path file) throws IOException {
        return parse(Files.readString(file), file.toString());
    }

    /** Like {@link #read} for text; {@code origin} names it in errors. */
    public static List<GenericKubernetesResource> parse(String text, String origin) {
        List<GenericKubernetesResource> out = new ArrayList<>();
        String[] docs = text.split("(?m)^---\\s*$");
        for (int i = 0; i < docs.length; i++) {
            String doc = docs[i];
            if (doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
                continue;
            }
            GenericKubernetesResource r;
            try {
                r = Serialization.unmarshal(doc, GenericKubernetesResource.class);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(origin + ": document " + (i + 1) + ": not a Kubernetes object: "
                        + e.getMessage(), e);
            }
            if (r == null) {
                continue;
            }
            if ("List".equals(r.getKind()) && r.getAdditionalProperties().get("items") instanceof List<?> items) {
                for (Object item : items) {
                    out.add(Serialization.unmarshal(Serialization.asJson(item), GenericKubernetesResource.class));
                }
            } else {
                out.add(r);
            }
        }
        return out;
    }

}
