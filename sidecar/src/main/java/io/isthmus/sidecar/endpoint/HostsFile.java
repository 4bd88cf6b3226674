package io.isthmus.sidecar.endpoint;

import io.netty.util.NetUtil;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A hosts file ({@code /etc/hosts}; in a network namespace entered with {@code ip netns exec},
 * the {@code /etc/netns/<ns>/hosts} bind-mounted over it) as the C library reads it: names
 * (case-insensitive) to every address listed for them, in file order. Re-read when its
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
            s = new Snapshot(modified, size, parse(Files.readAllLines(file)));
        } catch (IOException | RuntimeException e) {
            s = new Snapshot(null, -1, Map.of());
        }
        snapshot = s;
        return s;
    }

    /** Parses hosts-file lines: {@code address name [alias...]}, {@code #} comments; bad addresses skipped. */
    static Map<String, List<InetAddress>> parse(List<String> lines) {
        Map<String, List<InetAddress>> out = new HashMap<>();
        for (String raw : lines) {
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] p = line.split("\\s+");
            byte[] bytes = NetUtil.createByteArrayFromIpAddressString(p[0]);
            if (bytes == null || p.length < 2) {
                continue;
            }
            InetAddress address;
            try {
                address = InetAddress.getByAddress(bytes);
            } catch (UnknownHostException e) {
                continue;
            }
            for (int i = 1; i < p.length; i++) {
                List<InetAddress> list = out.computeIfAbsent(p[i].toLowerCase(Locale.ROOT), k -> new ArrayList<>());
                if (!list.contains(address)) {
                    list.add(address);
                }
            }
        }
        out.replaceAll((k, v) -> List.copyOf(v));
        return Map.copyOf(out);
    }
}
