package io.isthmus.controller.federation;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the embedded Hazelcast member that holds the federated registry: multicast and
 * auto-detection off, TCP-IP join with the explicit member list (or Hazelcast's Kubernetes
 * discovery of the replicas' Service), bound to one address, SLF4J
 * logging, no phone-home, and failure detection tuned so a dead replica is dropped within ~5 s.
 * Hazelcast's traffic is plaintext in the open-source edition: keep members on a trusted network.
 */
public final class HazelcastMember {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastMember.class);

    private HazelcastMember() {
    }

    /** Starts a member (about a second); the caller shuts it down. */
    public static HazelcastInstance start(HazelcastOptions options) {
        return Hazelcast.newHazelcastInstance(config(options));
    }

    /** The member configuration for these options. */
    public static Config config(HazelcastOptions options) {
        Config c = new Config();
        c.setClusterName(options.clusterName());
        c.setInstanceName("isthmus-" + options.address() + "-" + options.port());
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.socket.bind.any", "false");
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
        c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        NetworkConfig net = c.getNetworkConfig();
        net.setPort(options.port());
        net.setPortAutoIncrement(false);
        net.setPublicAddress(options.address() + ":" + options.port());
        net.getInterfaces().setEnabled(true).addInterface(options.address());
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        if (options.kubernetes().isPresent()) {
            HazelcastOptions.KubernetesJoin k = options.kubernetes().get();
            join.getTcpIpConfig().setEnabled(false);
            join.getKubernetesConfig().setEnabled(true)
                    .setProperty("namespace", k.namespace())
                    .setProperty("service-name", k.serviceName())
                    .setProperty("service-port", Integer.toString(options.port()));
            LOG.info("hazelcast member [{}] {}:{} kubernetes discovery {}/{}", options.clusterName(), options.address(),
                    options.port(), k.namespace(), k.serviceName());
        } else {
            join.getTcpIpConfig().setEnabled(true);
            join.getTcpIpConfig().addMember(options.address() + ":" + options.port());
            options.members().forEach(m -> join.getTcpIpConfig().addMember(m));
            LOG.info("hazelcast member [{}] {}:{} members={}", options.clusterName(), options.address(), options.port(),
                    options.members());
        }
        return c;
    }
}
