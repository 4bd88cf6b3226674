package io.isthmus.controller.ca;

import io.isthmus.trust.SpiffeId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bootstrap tokens from a file, one {@code <token> <namespace>/<serviceaccount>} per line ({@code #}
 * starts a comment). The file is read again whenever its modification time or size changed, so
 * tokens can be added and revoked without a restart. A malformed line is logged and skipped; an
 * unreadable file keeps the tokens last read.
 */
public final class BootstrapTokens implements CallerAuthenticator {
    private static final Logger LOG = LoggerFactory.getLogger(BootstrapTokens.class);

    private final Path file;
    private final String trustDomain;
    private Map<String, SpiffeId> tokens = Map.of();
    private FileTime loadedTime;
    private long loadedSize = -1;

    /**
     * Creates the authenticator and reads the file once.
     *
     * @param file the token file
     * @param trustDomain the trust domain of the identities it grants
     */
    public BootstrapTokens(Path file, String trustDomain) {
        this.file = Objects.requireNonNull(file, "file");
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
        reloadIfChanged();
    }

    @Override
    public Optional<SpiffeId> authenticate(String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        Map<String, SpiffeId> current = reloadIfChanged();
        for (Map.Entry<String, SpiffeId> e : current.entrySet()) {
            if (MessageDigest.isEqual(e.getKey().getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    /** How many tokens are known now. */
    public int size() {
        return reloadIfChanged().size();
    }

    private synchronized Map<String, SpiffeId> reloadIfChanged() {
        try {
            FileTime t = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            if (t.equals(loadedTime) && size == loadedSize) {
                return tokens;
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            Map<String, SpiffeId> next = new HashMap<>();
            int n = 0;
            for (String raw : lines) {
                n++;
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\\s+");
                String[] nsSa = parts.length == 2 ? parts[1].split("/", -1) : new String[0];
                if (nsSa.length != 2 || nsSa[0].isEmpty() || nsSa[1].isEmpty()) {
                    LOG.warn("bootstrap token file {} line {}: expected '<token> <namespace>/<serviceaccount>', skipped", file, n);
                    continue;
                }
                try {
                    next.put(parts[0], SpiffeId.of(trustDomain, nsSa[0], nsSa[1]));
                } catch (RuntimeException e) {
                    LOG.warn("bootstrap token file {} line {}: {}, skipped", file, n, e.getMessage());
                }
            }
            tokens = Map.copyOf(next);
            loadedTime = t;
            loadedSize = size;
            LOG.info("bootstrap tokens loaded [{}] [tokens={}]", file, tokens.size());
        } catch (IOException e) {
            LOG.warn("cannot read bootstrap token file {}: {}; keeping {} tokens", file, e.toString(), tokens.size());
        }
        return tokens;
    }
}
