package io.isthmus.sidecar.lb;

import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.isthmus.sidecar.endpoint.EndpointState;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import io.isthmus.sidecar.endpoint.LoadAssignment.LocalityGroup;
import io.isthmus.sidecar.endpoint.LocalityKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/** Endpoints, assignments and key sweeps for the consistent-hash tests. */
final class HashTestSupport {

    static final LocalityKey Z1 = new LocalityKey("r1", "z1", "");
    static final LocalityKey Z2 = new LocalityKey("r1", "z2", "");

    private HashTestSupport() {
    }

    static Endpoint ep(String ip, int port, int priority, int weight) {
        return new Endpoint(new EndpointAddress(ip, port), Z1, priority, weight, true, new EndpointState());
    }

    /** One locality at priority 0 holding {@code endpoints}, no locality weight. */
    static LoadAssignment flat(List<Endpoint> endpoints) {
        return new LoadAssignment("c", List.of(List.of(new LocalityGroup(Z1, 0, endpoints))), 140);
    }

    /** The request hashes of {@code n} distinct keys, as a header policy would make them. */
    static long[] keys(int n) {
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = XxHash64.hash("user-" + i);
        }
        return keys;
    }

    /** Which port each key goes to. */
    static int[] ports(long[] keys, LongFunction<Endpoint> pick) {
        int[] ports = new int[keys.length];
        for (int i = 0; i < keys.length; i++) {
            ports[i] = pick.apply(keys[i]).address().port();
        }
        return ports;
    }

    /** How many keys each port got. */
    static Map<Integer, Integer> counts(int[] ports) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int p : ports) {
            counts.merge(p, 1, Integer::sum);
        }
        return counts;
    }

    /** The share of keys whose port differs between two sweeps. */
    static double moved(int[] before, int[] after) {
        int moved = 0;
        for (int i = 0; i < before.length; i++) {
            if (before[i] != after[i]) {
                moved++;
            }
        }
        return moved / (double) before.length;
    }

    /** Endpoints 10.0.0.1:8080 .. 10.0.0.n:8080 with ports 1..n told apart by the host's last octet. */
    static List<Endpoint> hosts(int n) {
        List<Endpoint> eps = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            eps.add(ep("10.0.0." + i, 8000 + i, 0, 1));
        }
        return eps;
    }
}
