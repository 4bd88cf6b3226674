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

    /**
     * One document of a file: its 1-based index, the resources it holds (one, or the items of a
     * {@code List}; none when blank), or why it could not be read.
     *
     * @param index the document's position in the file, from 1
     * @param resources its resources, empty when blank or unreadable
     * @param error why it is not a Kubernetes object, empty when it is
     */
    public record Document(int index, List<GenericKubernetesResource> resources, String error) {
        public Document {
            resources = List.copyOf(resources);
            java.util.Objects.requireNonNull(error, "error");
        }
    }

    /** Like {@link #read} for text; {@code origin} names it in errors. */
    public static List<GenericKubernetesResource> parse(String text, String origin) {
        List<GenericKubernetesResource> out = new ArrayList<>();
        for (Document d : documents(text)) {
            if (!d.error().isEmpty()) {
                throw new IllegalArgumentException(origin + ": document " + d.index() + ": " + d.error());
            }
            out.addAll(d.resources());
        }
        return out;
    }

    /**
     * Every document of a text separately, so that one bad document does not hide the others
     * (the controller's {@code --config-dir} keeps the rest of a file).
     */
    public static List<Document> documents(String text) {
        List<Document> out = new ArrayList<>();
        String[] docs = text.split("(?m)^---\\s*$");
        for (int i = 0; i < docs.length; i++) {
            String doc = docs[i];
            if (doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
                continue;
            }
            List<GenericKubernetesResource> resources = new ArrayList<>();
            try {
                GenericKubernetesResource r = Serialization.unmarshal(doc, GenericKubernetesResource.class);
                if (r != null && "List".equals(r.getKind()) && r.getAdditionalProperties().get("items") instanceof List<?> items) {
                    for (Object item : items) {
                        resources.add(Serialization.unmarshal(Serialization.asJson(item), GenericKubernetesResource.class));
                    }
                } else if (r != null) {
                    resources.add(r);
                }
            } catch (RuntimeException e) {
                out.add(new Document(i + 1, List.of(), "not a Kubernetes object: " + e.getMessage()));
                continue;
            }
            out.add(new Document(i + 1, resources, ""));
        }
        return out;
    }
}
