// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.cluster.ClusterConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** [cluster]: a node of a cluster on ZooKeeper; its stores come from the cluster's store map, not from [replication]. */
class ClusterSettingsTest {
    private static final String REPLICATION = "[replication]\nnode = \"n1\"\nsecret = \"0123456789abcdef\"\nlisten = \"127.0.0.1:7101\"\n";

    @Test void aClusterSectionWithReplicationButNoPeersOrStoresIsANodeOfTheCluster() {
        NodeConfig c = ConfigLoader.parse(REPLICATION + "[cluster]\nzookeeper = \"zk1:2181,zk2:2181\"\nroot = \"/mail\"\n"
                + "session_timeout = \"4s\"\nconnection_timeout = 3\nfailover_damping = \"0s\"\nrejoin_grace = \"10s\"\n", "c");
        assertThat(c.cluster()).isEqualTo(new ClusterConfig("zk1:2181,zk2:2181", "/mail", Duration.ofSeconds(4), Duration.ofSeconds(3),
                Duration.ZERO, Duration.ofSeconds(10)));
        assertThat(c.replication().config().stores()).isEmpty();
        assertThat(c.replication().config().node()).isEqualTo("n1");
    }

    @Test void theDefaultsAreCairnClustersAndWithoutTheSectionThereIsNoCluster() {
        assertThat(ConfigLoader.parse(REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\n", "c").cluster()).isEqualTo(ClusterConfig.of("zk:2181"));
        assertThat(ConfigLoader.parse(REPLICATION + "[replication.peers]\nn1 = \"127.0.0.1:7101\"\n", "c").cluster()).isNull();
    }

    @Test void storesInTheConfigBesideTheClusterAreRefusedNamingTheKey() {
        String stores = "[replication.peers]\nn1 = \"127.0.0.1:7101\"\nn2 = \"127.0.0.1:7102\"\n"
                + "[[replication.stores]]\nname = \"s1\"\nmaster = \"n1/s0\"\nreplicas = [\"n2/s0\"]\n";
        assertThatThrownBy(() -> ConfigLoader.parse(REPLICATION + stores + "[cluster]\nzookeeper = \"zk:2181\"\n", "c"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("c: replication.stores: with [cluster] the cluster's store map names the stores");
    }

    @Test void aBadClusterSectionIsRefusedWithTheFileAndKey() {
        for (String[] bad : new String[][] {
                {"[cluster]\nzookeeper = \"zk:2181\"\n", "c: cluster: needs [replication] too"},
                {REPLICATION + "[cluster]\nroot = \"/cairn\"\n", "c: cluster.zookeeper: is required"},
                {REPLICATION + "[cluster]\nzookeeper = \"zk\"\n", "c: cluster.zookeeper: not host:port"},
                {REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nroot = \"cairn\"\n", "c: cluster.root must be an absolute znode path"},
                {REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nsession_timeout = \"0s\"\n", "c: cluster.session_timeout must be between 1 s and 120 s"},
                {REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nsession_timeout = \"121s\"\n", "c: cluster.session_timeout must be between"},
                {REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nsession_timeout = true\n", "c: cluster.session_timeout: must be a duration"},
                {REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nconnection_timeout = 301\n", "c: cluster.connection_timeout: must be at most 5m"},
                {REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nzookeper = \"x:1\"\n", "c: cluster.zookeper: unknown key"},
                {REPLICATION.replace("\"n1\"", "\"n_1\"") + "[cluster]\nzookeeper = \"zk:2181\"\n", "c: replication.node: 'n_1': a node of a cluster"},
                {"cluster = 1\n" + REPLICATION, "c: cluster: must be a table"},
        }) {
            assertThatThrownBy(() -> ConfigLoader.parse(bad[0], "c")).as(bad[0]).isInstanceOf(ConfigException.class).hasMessageStartingWith(bad[1]);
        }
        assertThat(ConfigLoader.parse(REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nconnection_timeout = 300\n", "c").cluster().connectionTimeout())
                .isEqualTo(Duration.ofMinutes(5));
        // At the limits: 1 s and 2 min are taken.
        assertThat(ConfigLoader.parse(REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nsession_timeout = \"1s\"\n", "c").cluster().sessionTimeout())
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(ConfigLoader.parse(REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nsession_timeout = \"120s\"\n", "c").cluster().sessionTimeout())
                .isEqualTo(Duration.ofMinutes(2));
    }

    @Test void advertiseNamesTheHostOthersReachThisNodeAtAndIsOptional() {
        assertThat(ConfigLoader.parse(REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\n", "c").cluster().advertise()).isNull();
        for (String host : new String[] {"10.0.0.1", "mail1.example.org", "localhost", "2001:db8::1", "::1"}) {
            assertThat(ConfigLoader.parse(REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nadvertise = \"" + host + "\"\n", "c").cluster().advertise())
                    .isEqualTo(host);
        }
        for (String[] bad : new String[][] {
                {"10.0.0.1:143", "is not a host name or an IP address (no port"},
                {"[2001:db8::1]", "is not a host name or an IP address"},
                {"mail one", "is not a host name or an IP address"},
                {"-mail", "is not a host name or an IP address"},
                {"0.0.0.0", "is every interface"},
                {"::", "is every interface"},
                {"", "must be a non-empty string"},
        }) {
            assertThatThrownBy(() -> ConfigLoader.parse(REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nadvertise = \"" + bad[0] + "\"\n", "c"))
                    .as(bad[0]).isInstanceOf(ConfigException.class).hasMessageStartingWith("c: cluster.advertise").hasMessageContaining(bad[1]);
        }
        assertThatThrownBy(() -> ConfigLoader.parse(REPLICATION + "[cluster]\nzookeeper = \"zk:2181\"\nadvertise = 1\n", "c"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("c: cluster.advertise: must be a non-empty string");
    }

    @Test void aClusterNodeListeningForReplicationOffLoopbackNeedsTlsOrTheOperatorsInsecure() {
        String everywhere = REPLICATION.replace("127.0.0.1:7101", "0.0.0.0:7101");
        String cluster = "[cluster]\nzookeeper = \"zk:2181\"\n";
        assertThatThrownBy(() -> ConfigLoader.parse(everywhere + cluster, "c")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("c: replication.tls: this node of a cluster listens for replication on 0.0.0.0:7101, not on loopback, "
                        + "so replication must be encrypted").hasMessageContaining("tls = false and insecure = true");
        assertThatThrownBy(() -> ConfigLoader.parse(REPLICATION.replace("127.0.0.1:7101", "192.0.2.1:7101") + cluster, "c"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("listens for replication on 192.0.2.1:7101, not on loopback");
        NodeConfig insecure = ConfigLoader.parse(everywhere + "tls = false\ninsecure = true\n" + cluster, "c");
        assertThat(insecure.replication().insecure()).isTrue();
        assertThat(insecure.replication().mayReachInClear(new java.net.InetSocketAddress("192.0.2.9", 7000))).isTrue();
        NodeConfig loopback = ConfigLoader.parse(REPLICATION + cluster, "c");
        assertThat(loopback.replication().mayReachInClear(new java.net.InetSocketAddress("192.0.2.9", 7000))).isFalse();
        assertThat(loopback.replication().mayReachInClear(new java.net.InetSocketAddress("127.0.0.1", 7000))).isTrue();
    }
}
