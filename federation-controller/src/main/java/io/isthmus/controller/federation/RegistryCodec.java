package io.isthmus.controller.federation;

import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.Locality;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The binary form of registry records in Hazelcast maps: compact, versioned, independent of Java
 * serialization, and equal bytes for equal records (maps are written in key order), so that
 * {@code IMap.replace(key, old, new)} works as a compare-and-set.
 */
final class RegistryCodec {

    /** Version 2 adds each cluster service's ClusterIPs after its endpoints; version 1 entries are still read. */
    private static final byte VERSION = 2;
    private static final byte VERSION_WITHOUT_VIPS = 1;

    private RegistryCodec() {
    }

    static byte[] encodeServices(Map<String, ClusterService> byCluster) {
        return write(out -> {
            out.writeInt(byCluster.size());
            for (ClusterService cs : new TreeMap<>(byCluster).values()) {
                writeService(out, cs);
                out.writeInt(cs.vips().size());
                for (String vip : cs.vips()) {
                    out.writeUTF(vip);
                }
            }
        });
    }

    static Map<String, ClusterService> decodeServices(byte[] bytes) {
        boolean withVips = bytes.length > 0 && bytes[0] == VERSION;
        return read(bytes, in -> {
            int n = in.readInt();
            Map<String, ClusterService> m = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                ClusterService cs = readService(in);
                if (withVips) {
                    int nv = in.readInt();
                    List<String> vips = new ArrayList<>(nv);
                    for (int j = 0; j < nv; j++) {
                        vips.add(in.readUTF());
                    }
                    cs = cs.withVips(vips);
                }
                m.put(cs.cluster(), cs);
            }
            return m;
        });
    }

    static byte[] encodeGateways(List<NetworkGateway> gateways) {
        return write(out -> {
            out.writeInt(gateways.size());
            for (NetworkGateway g : gateways) {
                out.writeUTF(g.network());
                out.writeUTF(g.cluster());
                out.writeUTF(g.address());
                out.writeInt(g.port());
            }
        });
    }

    static List<NetworkGateway> decodeGateways(byte[] bytes) {
        return read(bytes, in -> {
            int n = in.readInt();
            List<NetworkGateway> l = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                l.add(new NetworkGateway(in.readUTF(), in.readUTF(), in.readUTF(), in.readInt()));
            }
            return l;
        });
    }

    static byte[] encodeStatus(ClusterStatus s) {
        return write(out -> {
            out.writeUTF(s.name());
            out.writeUTF(s.state().name());
            out.writeUTF(s.reason());
            out.writeLong(s.since().getEpochSecond());
            out.writeInt(s.since().getNano());
            out.writeInt(s.services());
            out.writeInt(s.endpoints());
        });
    }

    static ClusterStatus decodeStatus(byte[] bytes) {
        return read(bytes, in -> new ClusterStatus(in.readUTF(), ClusterStatus.State.valueOf(in.readUTF()), in.readUTF(),
                Instant.ofEpochSecond(in.readLong(), in.readInt()), in.readInt(), in.readInt()));
    }

    private static void writeService(DataOutputStream out, ClusterService cs) throws IOException {
        out.writeUTF(cs.cluster());
        out.writeUTF(cs.namespace());
        out.writeUTF(cs.name());
        out.writeUTF(cs.hostname());
        out.writeInt(cs.ports().size());
        for (ServicePort p : cs.ports()) {
            out.writeUTF(p.name());
            out.writeInt(p.port());
            out.writeInt(p.targetPort());
            out.writeUTF(p.protocol().name());
        }
        writeMap(out, cs.labels());
        out.writeInt(cs.endpoints().size());
        for (WorkloadEndpoint e : cs.endpoints()) {
            out.writeUTF(e.address());
            out.writeInt(e.ports().size());
            for (Map.Entry<String, Integer> p : new TreeMap<>(e.ports()).entrySet()) {
                out.writeUTF(p.getKey());
                out.writeInt(p.getValue());
            }
            out.writeUTF(e.network());
            out.writeUTF(e.locality().region());
            out.writeUTF(e.locality().zone());
            out.writeUTF(e.locality().subZone());
            out.writeUTF(e.health().name());
            out.writeUTF(e.serviceAccount());
            out.writeUTF(e.podName());
            out.writeUTF(e.namespace());
            writeMap(out, e.labels());
        }
    }

    private static ClusterService readService(DataInputStream in) throws IOException {
        String cluster = in.readUTF();
        String namespace = in.readUTF();
        String name = in.readUTF();
        String hostname = in.readUTF();
        int np = in.readInt();
        List<ServicePort> ports = new ArrayList<>(np);
        for (int i = 0; i < np; i++) {
            ports.add(new ServicePort(in.readUTF(), in.readInt(), in.readInt(), Protocol.valueOf(in.readUTF())));
        }
        Map<String, String> labels = readMap(in);
        int ne = in.readInt();
        List<WorkloadEndpoint> eps = new ArrayList<>(ne);
        for (int i = 0; i < ne; i++) {
            String address = in.readUTF();
            int npp = in.readInt();
            Map<String, Integer> pp = new LinkedHashMap<>();
            for (int j = 0; j < npp; j++) {
                pp.put(in.readUTF(), in.readInt());
            }
            String network = in.readUTF();
            Locality loc = new Locality(in.readUTF(), in.readUTF(), in.readUTF());
            EndpointHealth health = EndpointHealth.valueOf(in.readUTF());
            eps.add(new WorkloadEndpoint(address, pp, cluster, network, loc, health, in.readUTF(), in.readUTF(),
                    in.readUTF(), readMap(in)));
        }
        return new ClusterService(cluster, namespace, name, hostname, ports, labels, eps);
    }

    private static void writeMap(DataOutputStream out, Map<String, String> m) throws IOException {
        out.writeInt(m.size());
        for (Map.Entry<String, String> e : new TreeMap<>(m).entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
    }

    private static Map<String, String> readMap(DataInputStream in) throws IOException {
        int n = in.readInt();
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            m.put(in.readUTF(), in.readUTF());
        }
        return m;
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    private static byte[] write(Writer w) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            w.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static <T> T read(byte[] bytes, Reader<T> r) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte v = in.readByte();
            if (v != VERSION && v != VERSION_WITHOUT_VIPS) {
                throw new IllegalStateException("registry entry of unknown format version " + v);
            }
            return r.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
