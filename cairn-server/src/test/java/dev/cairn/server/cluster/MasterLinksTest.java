// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.Replication;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MasterLinksTest {
    private static final Instant T = Instant.parse("2026-12-07T08:00:00Z");
    private static final ClusterSnapshot.Replica FROM_ZOOKEEPER = new ClusterSnapshot.Replica("n2/s0", true, "in the in-sync set", null, null, 3L, null);

    private static ClusterSnapshot ensemble(String master, long epoch) {
        return new ClusterSnapshot(T, "ZooKeeper /cairn through node n1", List.of(),
                List.of(new ClusterSnapshot.Store("s1", master, "sync", epoch, null, false, List.of(FROM_ZOOKEEPER))), List.of());
    }

    private static List<Replication.StoreStatus> here(String role, long epoch) {
        return List.of(new Replication.StoreStatus("s1", role, "n1", List.of("n2/s0"), "sync", epoch, null, List.of(),
                List.of(new Replication.ReplicaStatus("n2", true, 2, 2, T, 1, 40, T, null)), Map.of()));
    }

    @Test void theMasterNodesPageShowsItsOwnLinkAndLagInTime() {
        ClusterSnapshot.Replica r = MasterLinks.withLinks(ensemble("n1/s0", 4), "n1", here("master", 4)).stores().getFirst().replicas().getFirst();
        assertThat(r).isEqualTo(new ClusterSnapshot.Replica("n2/s0", true, "in the in-sync set", true, T, 1L, 40L));
    }

    @Test void aMasterHereAtAnotherEpochOrOneTheEnsembleDoesNotNameAddsNothing() {
        assertThat(MasterLinks.withLinks(ensemble("n1/s0", 5), "n1", here("master", 4))).isEqualTo(ensemble("n1/s0", 5));
        assertThat(MasterLinks.withLinks(ensemble("n3/s0", 4), "n1", here("master", 4))).isEqualTo(ensemble("n3/s0", 4));
        assertThat(MasterLinks.withLinks(ensemble(null, 4), "n1", here("master", 4))).isEqualTo(ensemble(null, 4));
        assertThat(MasterLinks.withLinks(ensemble("n1/s0", 4), "n1", here("replica", 4))).isEqualTo(ensemble("n1/s0", 4));
    }
}
