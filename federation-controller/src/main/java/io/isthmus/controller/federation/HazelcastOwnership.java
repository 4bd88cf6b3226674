package io.isthmus.controller.federation;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster ownership by lease: an entry {@code cluster → member UUID} in the IMap
 * {@code isthmus.owners} with a time-to-live, taken with an atomic entry processor when absent and
 * renewed by its holder on every {@link #tryAcquire} call (about once a second). When a member
 * leaves the Hazelcast cluster, every survivor deletes its leases at once, so another replica takes
 * the watch over on its next tick; a member that hangs without leaving loses its leases when they
 * expire ({@code ttl}, default 5 s).
 *
 * <p>Why a lease and not a {@code FencedLock}: from Hazelcast 5.5 the CP subsystem is part of the
 * Enterprise edition, and without it a lock is not safe against partitions anyway. A lease in an AP
 * map gives the same guarantee while the cluster is whole. In a split brain each side has a copy of
 * the map; after its TTL (or at once, through the membership event) each side takes over the other
 * side's clusters, so an API server may be watched twice until the sides merge. That is harmless:
 * both watchers write the same data derived from the same API server, the merge keeps one value per
 * key, and the next event or resync corrects anything older.
 */
public final class HazelcastOwnership implements ClusterOwnership {

    /** Map of leases by cluster name. */
    public static final String OWNERS = "isthmus.owners";
    private static final Logger LOG = LoggerFactory.getLogger(HazelcastOwnership.class);

    private final IMap<String, String> owners;
    private final String self;
    private final long ttlMillis;
    private final HazelcastInstance hz;
    private final UUID membershipListener;

    public HazelcastOwnership(HazelcastInstance hz, Duration ttl) {
        this.hz = Objects.requireNonNull(hz, "hz");
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.toMillis() < 1000) {
            throw new IllegalArgumentException("ttl must be >= 1s, got " + ttl);
        }
        this.owners = hz.getMap(OWNERS);
        this.self = hz.getCluster().getLocalMember().getUuid().toString();
        this.ttlMillis = ttl.toMillis();
        this.membershipListener = hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                LOG.info("controller replica joined [{}]", e.getMember().getAddress());
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                String dead = e.getMember().getUuid().toString();
                for (Map.Entry<String, String> lease : owners.entrySet()) {
                    if (dead.equals(lease.getValue()) && owners.remove(lease.getKey(), dead)) {
                        LOG.info("lease of departed replica released [{}] replica={}", lease.getKey(), dead);
                    }
                }
            }
        });
    }

    /** With the default lease TTL of 5 s. */
    public HazelcastOwnership(HazelcastInstance hz) {
        this(hz, Duration.ofSeconds(5));
    }

    @Override
    public boolean tryAcquire(String cluster) {
        String holder = owners.executeOnKey(cluster, new Lease(self, ttlMillis));
        return self.equals(holder);
    }

    @Override
    public void release(String cluster) {
        try {
            owners.remove(cluster, self);
        } catch (RuntimeException e) {
            LOG.debug("lease release failed [{}] {}", cluster, e.toString());
        }
    }

    @Override
    public Optional<String> owner(String cluster) {
        return Optional.ofNullable(owners.get(cluster));
    }

    @Override
    public String self() {
        return self;
    }

    @Override
    public int replicas() {
        return hz.getCluster().getMembers().size();
    }

    @Override
    public void close() {
        try {
            hz.getCluster().removeMembershipListener(membershipListener);
        } catch (RuntimeException e) {
            LOG.debug("membership listener removal failed {}", e.toString());
        }
    }

    /** Takes the lease when free, renews it when ours; returns the holder. Runs atomically on the key's owner. */
    static final class Lease implements EntryProcessor<String, String, String> {
        private static final long serialVersionUID = 1L;
        private final String candidate;
        private final long ttlMillis;

        Lease(String candidate, long ttlMillis) {
            this.candidate = candidate;
            this.ttlMillis = ttlMillis;
        }

        @Override
        public String process(Map.Entry<String, String> entry) {
            String holder = entry.getValue();
            if (holder == null || holder.equals(candidate)) {
                ((ExtendedMapEntry<String, String>) entry).setValue(candidate, ttlMillis, TimeUnit.MILLISECONDS);
                return candidate;
            }
            return holder;
        }
    }
}
