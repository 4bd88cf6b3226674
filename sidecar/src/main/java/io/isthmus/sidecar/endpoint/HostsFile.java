package io.isthmus.sidecar.endpoint;

import io.netty.resolver.HostsFileEntriesProvider;

import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A hosts file ({@code /etc/hosts}; in a network namespace entered with {@code ip netns exec},
 * the {@code /etc/netns/<ns>/hosts} bind-mounted over it) as the C library reads it: names
 * (case-insensitive) to every address listed for them, IPv4 ones first. Re-read when its
 * modification time or size changes, so entries written after the proxy started count. Thread-safe.
 */
public final class HostsFile {
    /** The system's file. */
    public static final Path SYSTEM_FILE = Path.of("/etc/hosts");

    private final Path file;
    private volatile Snapshot snapshot = new Snapshot(null, -1, Map.of());

    private record Snapshot(FileTime modified, long size, Map<String, List<InetAddress>> names) {
    }

    /** The file at {@code file} (read on first use; absent = no entries). */
    public HostsFile(Path file) {
        this.file = Objects.requireNonNull(file, "file");
    }

    /** The addresses the file lists for {@code host} (a trailing dot ignored); empty when it has none. */
    public List<InetAddress> lookup(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return current().names().getOrDefault(name, List.of());
    }

    private Snapshot current() {
        Snapshot s = snapshot;
        FileTime modified;
        long size;
        try {
            modified = Files.getLastModifiedTime(file);
            size = Files.size(file);
        } catch (IOException e) {
            if (s.size() != -1 || s.modified() != null) {
                s = new Snapshot(null, -1, Map.of());
                snapshot = s;
            }
            return s;
        }
        if (modified.equals(s.modified()) && size == s.size()) {
            return s;
        }
        try {
            s = new Snapshot(modified, size, parse(Files.readString(file)));
        } catch (IOException | RuntimeException e) {
            s = new Snapshot(null, -1, Map.of());
        }
        snapshot = s;
        return s;
    }

    /**
     * The entries of the file's text, parsed by Netty's hosts-file parser ({@code address name [alias...]},
     * {@code #} comments, bad lines skipped): each name's IPv4 addresses, then its IPv6 ones.
     */
    static Map<String, List<InetAddress>> parse(String text) throws IOException {
        HostsFileEntriesProvider entries = HostsFileEntriesProvider.parser().parse(new StringReader(text));
        Map<String, List<InetAddress>> out = new HashMap<>();
        for (Map<String, List<InetAddress>> family : List.of(entries.ipv4Entries(), entries.ipv6Entries())) {
            family.forEach((name, addresses) -> out.merge(name.toLowerCase(Locale.ROOT), List.copyOf(addresses),
                    (a, b) -> java.util.stream.Stream.concat(a.stream(), b.stream()).distinct().toList()));
        }
        return Map.copyOf(out);
    }
}
