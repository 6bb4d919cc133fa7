// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {
    @Test
    void theDefaults() {
        ClusterConfig c = ClusterConfig.of("zk1:2181,zk2:2181,[::1]:2181");
        assertThat(c.root()).isEqualTo("/cairn");
        assertThat(c.sessionTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.failoverDamping()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void badSettingsAreRefusedWithTheKeyNamed() {
        ClusterConfig ok = ClusterConfig.of("zk:2181");
        assertThatThrownBy(() -> ClusterConfig.of("")).hasMessageContaining("cluster.zookeeper is required");
        assertThatThrownBy(() -> ClusterConfig.of("zk")).hasMessageContaining("cluster.zookeeper: not host:port");
        assertThatThrownBy(() -> ClusterConfig.of("zk:2181,")).hasMessageContaining("not host:port");
        assertThatThrownBy(() -> ClusterConfig.of("zk:65536")).hasMessageContaining("port out of range");
        assertThatThrownBy(() -> ok.withRoot("cairn")).hasMessageContaining("cluster.root");
        assertThatThrownBy(() -> ok.withRoot("/cairn/")).hasMessageContaining("cluster.root");
        assertThatThrownBy(() -> ok.withRoot("/")).hasMessageContaining("cluster.root");
        assertThatThrownBy(() -> ok.withDamping(Duration.ofSeconds(-1), Duration.ZERO)).hasMessageContaining("cluster.failover_damping");
    }

    @Test
    void theSessionTimeoutIsBoundedAtBothEnds() {
        ClusterConfig ok = ClusterConfig.of("zk:2181");
        assertThat(ok.withSessionTimeout(ClusterConfig.MIN_SESSION).sessionTimeout()).isEqualTo(ClusterConfig.MIN_SESSION);
        assertThat(ok.withSessionTimeout(ClusterConfig.MAX_SESSION).sessionTimeout()).isEqualTo(ClusterConfig.MAX_SESSION);
        assertThatThrownBy(() -> ok.withSessionTimeout(ClusterConfig.MIN_SESSION.minusMillis(1))).hasMessageContaining("cluster.session_timeout");
        assertThatThrownBy(() -> ok.withSessionTimeout(ClusterConfig.MAX_SESSION.plusMillis(1))).hasMessageContaining("cluster.session_timeout");
    }
}
