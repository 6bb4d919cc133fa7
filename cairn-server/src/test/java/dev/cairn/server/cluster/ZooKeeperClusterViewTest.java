// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.ClusterState;
import dev.cairn.cluster.FailoverRecord;
import dev.cairn.cluster.NodeRecord;
import dev.cairn.cluster.ProgressRecord;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.server.cluster.ClusterSnapshot.Reach;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Records as the ensemble holds them → the admin page's snapshot, without ZooKeeper. */
class ZooKeeperClusterViewTest {
    private static final long T0 = Instant.parse("2026-12-07T04:00:00Z").toEpochMilli();
    private static final SlotRef N1 = new SlotRef("n1", "s0"), N2 = new SlotRef("n2", "s0"), N3 = new SlotRef("n3", "s0"),
            N2B = new SlotRef("n2", "s1");

    private static ClusterState.Registration registered(String node, long at, String... slots) {
        return new ClusterState.Registration(node, new NodeRecord(node, Map.of("imap", "10.0.0.1:143"), List.of(slots), "0.1.0", 0, at), at, null);
    }

    private static StoreRecord store(String name, SlotRef master, List<SlotRef> replicas, Set<SlotRef> inSync, long epoch,
                                     StoreRecord.OnReplicaLoss onLoss) {
        return new StoreRecord(name, StoreRecord.Mode.SYNC, onLoss, master, replicas, epoch, inSync, T0);
    }

    private static ClusterState state(String stale, Map<String, ClusterState.Registration> nodes, Map<String, Long> departed,
                                      List<ClusterState.ObservedStore> stores, List<FailoverRecord> failovers) {
        Map<String, ClusterState.ObservedStore> byName = new java.util.TreeMap<>();
        stores.forEach(o -> byName.put(o.record().name(), o));
        return new ClusterState(T0 + 60_000, stale, nodes, departed, byName, failovers);
    }

    @Test void registeredNodesAreReachableSinceTheyRegisteredAndANodeOnlyAStoreNamesIsUnreachableSinceItsRegistrationWent() {
        ClusterState s = state(null, Map.of("n1", registered("n1", T0, "s0"), "n2", registered("n2", T0 + 5, "s0", "s1")),
                Map.of("n3", T0 + 30_000),
                List.of(new ClusterState.ObservedStore(store("s1", N1, List.of(N2, N3), Set.of(N2), 4, StoreRecord.OnReplicaLoss.DEGRADE), T0, Map.of())),
                List.of());
        ClusterSnapshot snap = ZooKeeperClusterView.snapshot(s, "ZooKeeper /cairn", "n2");
        assertThat(snap.nodes()).extracting(ClusterSnapshot.Node::name).containsExactly("n1", "n2", "n3");
        ClusterSnapshot.Node n1 = snap.nodes().get(0), n2 = snap.nodes().get(1), n3 = snap.nodes().get(2);
        assertThat(n1.reach()).isEqualTo(Reach.REACHABLE);
        assertThat(n1.since()).isEqualTo(Instant.ofEpochMilli(T0));
        assertThat(n1.addresses()).containsEntry("imap", "10.0.0.1:143");
        assertThat(n1.self()).isFalse();
        assertThat(n2.self()).isTrue();
        assertThat(n2.slots()).containsExactly("s0", "s1");
        assertThat(n3.reach()).isEqualTo(Reach.UNREACHABLE);
        assertThat(n3.since()).isEqualTo(Instant.ofEpochMilli(T0 + 30_000));
        assertThat(n3.why()).contains("not registered");
        assertThat(n3.slots()).containsExactly("s0");
        assertThat(snap.at()).isEqualTo(Instant.ofEpochMilli(T0 + 60_000));
        assertThat(snap.stale()).isNull();
    }

    @Test void aNodeThatLeftBeforeTheViewStartedIsUnreachableSinceAnUnknownTime() {
        ClusterState s = state(null, Map.of("n1", registered("n1", T0, "s0")), Map.of(),
                List.of(new ClusterState.ObservedStore(store("s1", N1, List.of(N3), Set.of(), 1, StoreRecord.OnReplicaLoss.DEGRADE), T0, Map.of())),
                List.of());
        ClusterSnapshot.Node n3 = ZooKeeperClusterView.snapshot(s, "zk", null).nodes().get(1);
        assertThat(n3.reach()).isEqualTo(Reach.UNREACHABLE);
        assertThat(n3.since()).isNull();
    }

    @Test void aReplicasLagIsTheMastersReportedPositionLessItsOwnAtTheStoresEpochOnly() {
        Map<SlotRef, ProgressRecord> progress = Map.of(
                N1, new ProgressRecord(N1, true, 4, 112),   // the master's own position
                N2, new ProgressRecord(N2, true, 4, 100),
                N3, new ProgressRecord(N3, true, 3, 90));   // of the previous epoch: not comparable
        ClusterState s = state(null, Map.of("n1", registered("n1", T0, "s0"), "n2", registered("n2", T0, "s0"), "n3", registered("n3", T0, "s0")),
                Map.of(), List.of(new ClusterState.ObservedStore(store("s1", N1, List.of(N2, N3), Set.of(N2), 4, StoreRecord.OnReplicaLoss.DEGRADE),
                        T0, progress)), List.of());
        ClusterSnapshot.Store st = ZooKeeperClusterView.snapshot(s, "zk", null).stores().get(0);
        assertThat(st.master()).isEqualTo("n1/s0");
        assertThat(st.epoch()).isEqualTo(4);
        assertThat(st.mode()).isEqualTo("sync");
        assertThat(st.degraded()).isNull();
        assertThat(st.replicas()).extracting(ClusterSnapshot.Replica::slot).containsExactly("n2/s0", "n3/s0");
        ClusterSnapshot.Replica n2 = st.replicas().get(0), n3 = st.replicas().get(1);
        assertThat(n2.inSync()).isTrue();
        assertThat(n2.lagChanges()).isEqualTo(12L);
        assertThat(n2.lagMillis()).as("reports carry no time").isNull();
        assertThat(n2.connected()).as("ZooKeeper does not know the master's links").isNull();
        assertThat(n3.inSync()).isFalse();
        assertThat(n3.lagChanges()).isNull();
        assertThat(n3.sync()).contains("epoch 3").contains("the store is at epoch 4");
    }

    @Test void withoutTheMastersReportTheLagIsNotKnownAndTheWordsCompareWithTheFurthestReplica() {
        SlotRef n4 = new SlotRef("n4", "s0");
        Map<SlotRef, ProgressRecord> progress = Map.of(N2, new ProgressRecord(N2, true, 2, 100), n4, new ProgressRecord(n4, true, 2, 93));
        ClusterState s = state(null, Map.of("n1", registered("n1", T0, "s0"), "n2", registered("n2", T0, "s0"), "n4", registered("n4", T0, "s0")),
                Map.of(), List.of(new ClusterState.ObservedStore(store("s1", N1, List.of(N2, n4), Set.of(N2, n4), 2, StoreRecord.OnReplicaLoss.DEGRADE),
                        T0, progress)), List.of());
        ClusterSnapshot.Store st = ZooKeeperClusterView.snapshot(s, "zk", null).stores().get(0);
        assertThat(st.replicas()).allSatisfy(r -> assertThat(r.lagChanges()).isNull());
        assertThat(st.replicas().get(1).sync()).contains("7 changes behind the furthest replica");
        assertThat(st.replicas().get(0).sync()).doesNotContain("behind");
    }

    @Test void aStoreWhoseMastersNodeIsNotRegisteredHasNoMasterAndNamesTheDeadSlotFirst() {
        ClusterState s = state(null, Map.of("n2", registered("n2", T0, "s0", "s1")), Map.of("n3", T0 + 1_000),
                List.of(new ClusterState.ObservedStore(store("s2", N3, List.of(N2B), Set.of(), 7, StoreRecord.OnReplicaLoss.REFUSE), T0 + 2_000, Map.of())),
                List.of());
        ClusterSnapshot.Store st = ZooKeeperClusterView.snapshot(s, "zk", null).stores().get(0);
        assertThat(st.master()).isNull();
        assertThat(st.replicas()).extracting(ClusterSnapshot.Replica::slot).containsExactly("n3/s0", "n2/s1");
        assertThat(st.replicas().get(0).sync()).contains("master at epoch 7").contains("not registered");
        assertThat(st.degraded()).as("an empty in-sync set: dated by the record's last write").isEqualTo(Instant.ofEpochMilli(T0 + 2_000));
        assertThat(st.refusing()).isTrue();
    }

    @Test void aMasterSlotItsRegisteredNodeNoLongerServesIsNoLiveMaster() {
        ClusterState s = state(null, Map.of("n1", registered("n1", T0, "s9"), "n2", registered("n2", T0, "s0")), Map.of(),
                List.of(new ClusterState.ObservedStore(store("s1", N1, List.of(N2), Set.of(N2), 1, StoreRecord.OnReplicaLoss.DEGRADE), T0, Map.of())),
                List.of());
        ClusterSnapshot.Store st = ZooKeeperClusterView.snapshot(s, "zk", null).stores().get(0);
        assertThat(st.master()).isNull();
        assertThat(st.replicas().get(0).sync()).contains("no longer served");
    }

    @Test void anOperatorsForcedPromotionIsShownForcedAndTheControllersClean() {
        List<FailoverRecord> failovers = List.of(
                new FailoverRecord(T0 + 2, "s1", N2, N1, 3, dev.cairn.cluster.OperatorPromotion.FORCED + " (cairn store promote --force): ..."),
                new FailoverRecord(T0 + 1, "s1", N1, N2, 2, "node n1 of master n1/s0 is gone"));
        ClusterSnapshot snap = ZooKeeperClusterView.snapshot(state(null, Map.of(), Map.of(), List.of(), failovers), "zk", null);
        assertThat(snap.failovers()).extracting(ClusterSnapshot.Failover::how).containsExactly(ClusterSnapshot.How.FORCED, ClusterSnapshot.How.CLEAN);
    }

    @Test void theNewestFailoversAreShownFirstUpToTheLimitAndAStalePictureSaysSo() {
        List<FailoverRecord> failovers = new ArrayList<>();
        for (int i = ZooKeeperClusterView.FAILOVERS_SHOWN + 5; i > 0; i--) failovers.add(new FailoverRecord(T0 + i, "s1", N1, N2, i, "gone"));
        ClusterState s = state("no connection to ZooKeeper since 2026-12-07T04:01:00Z", Map.of(), Map.of(), List.of(), failovers);
        ClusterSnapshot snap = ZooKeeperClusterView.snapshot(s, "zk", null);
        assertThat(snap.failovers()).hasSize(ZooKeeperClusterView.FAILOVERS_SHOWN);
        assertThat(snap.failovers().get(0).epoch()).isEqualTo(ZooKeeperClusterView.FAILOVERS_SHOWN + 5);
        assertThat(snap.failovers().get(0).from()).isEqualTo("n1/s0");
        assertThat(snap.failovers().get(0).to()).isEqualTo("n2/s0");
        assertThat(snap.failovers().get(0).how()).isEqualTo(ClusterSnapshot.How.CLEAN);
        assertThat(snap.stale()).contains("no connection");
        assertThat(ClusterJson.write(snap)).contains("\"stale\":\"no connection to ZooKeeper since 2026-12-07T04:01:00Z\"");
    }
}
