// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What `cairn store promote` writes into a cluster's map, and what it refuses (pure: no ZooKeeper). */
class OperatorPromotionTest {
    private static final SlotRef N1 = new SlotRef("n1", "s0"), N2 = new SlotRef("n2", "s0"), N3 = new SlotRef("n3", "s1");
    private static final StoreRecord HEADLESS = new StoreRecord("s1", StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, N1,
            List.of(N2, N3), 4, Set.of(N3), 1_000);
    private static final Map<String, NodeRecord> N1_GONE = Map.of("n2", node("n2", "s0"), "n3", node("n3", "s1"));

    private static NodeRecord node(String name, String... slots) { return new NodeRecord(name, Map.of(), List.of(slots), "1", 0, 0); }

    private static OperatorPromotion plan(SlotRef to, boolean force, Map<String, NodeRecord> nodes) {
        return OperatorPromotion.plan(new VersionedStore(HEADLESS, 7), to, force, nodes, 2_000);
    }

    @Test void anOutOfSyncReplicaIsRefusedWithoutForceAndTheRefusalNamesForce() {
        assertThatThrownBy(() -> plan(N2, false, N1_GONE)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("n2/s0 is not in the in-sync set [n3/s1]").hasMessageContaining("--force");
    }

    @Test void aForcedPromotionRaisesTheEpochEmptiesInSyncAndIsMarkedForced() {
        OperatorPromotion p = plan(N2, true, N1_GONE);
        assertThat(p.next()).isEqualTo(new StoreRecord("s1", StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, N2,
                List.of(N3, N1), 5, Set.of(), 2_000, true));
        assertThat(p.read().version()).isEqualTo(7);
        assertThat(p.why()).startsWith("forced by an operator").contains("not in the in-sync set");
    }

    @Test void anInSyncReplicaIsPromotedPlainlyAsTheControllerWould() {
        OperatorPromotion p = plan(N3, false, N1_GONE);
        assertThat(p.next()).isEqualTo(HEADLESS.promote(N3, 2_000));
        assertThat(p.next().forced()).isFalse();
        assertThat(p.why()).startsWith("promoted by an operator");
    }

    @Test void aLiveMasterIsNotPromotedAwayFromItSwitchIsTheWay() {
        var all = new java.util.HashMap<>(N1_GONE);
        all.put("n1", node("n1", "s0"));
        assertThatThrownBy(() -> plan(N2, true, all)).hasMessageContaining("is alive").hasMessageContaining("cairn store switch");
        all.put("n1", node("n1", "s9")); // registered again, but no longer serving the master slot: a master gone
        assertThat(plan(N2, true, all).next().master()).isEqualTo(N2);
    }

    @Test void aSlotThatIsNoReplicaOrWhoseNodeIsNotRegisteredIsRefused() {
        assertThatThrownBy(() -> plan(new SlotRef("n9", "s0"), true, N1_GONE)).hasMessageContaining("not one of its replicas");
        assertThatThrownBy(() -> plan(N1, true, N1_GONE)).hasMessageContaining("its master already");
        assertThatThrownBy(() -> plan(N2, true, Map.of("n3", node("n3", "s1")))).hasMessageContaining("node n2 is not registered");
    }
}
