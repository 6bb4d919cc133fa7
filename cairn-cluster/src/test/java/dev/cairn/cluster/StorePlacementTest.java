// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StorePlacementTest {
    final Map<String, NodeRecord> nodes = new TreeMap<>();
    final List<StoreRecord> stores = new ArrayList<>();

    void node(String name, int slots) {
        nodes.put(name, new NodeRecord(name, Map.of(), IntStream.range(0, slots).mapToObj(i -> "s" + i).toList(), "1", 0, 0));
    }

    static List<String> names(int n) { return StorePlacement.names("st", n, List.of()); }

    @Test
    void eachNodesMastersHaveTheirReplicasSpreadOverEveryOtherNode() {
        for (int i = 1; i <= 5; i++) node("n" + i, 8);
        List<StorePlacement.Placed> plan = StorePlacement.plan(nodes, stores, Set.of(), names(20), 1);
        Map<String, Integer> masters = new HashMap<>();
        Map<String, Set<String>> partners = new HashMap<>();
        Set<SlotRef> used = new HashSet<>();
        for (StorePlacement.Placed p : plan) {
            masters.merge(p.master().node(), 1, Integer::sum);
            assertThat(used.add(p.master())).as("a slot holds one store").isTrue();
            for (SlotRef r : p.replicas()) {
                assertThat(r.node()).isNotEqualTo(p.master().node());
                assertThat(used.add(r)).isTrue();
                partners.computeIfAbsent(p.master().node(), k -> new HashSet<>()).add(r.node());
            }
        }
        assertThat(masters).as("masters even").containsOnlyKeys("n1", "n2", "n3", "n4", "n5").allSatisfy((n, c) -> assertThat(c).isEqualTo(4));
        // 4 masters per node, 4 other nodes: each master's replica on a different node (a dead node's load spreads over all)
        assertThat(partners).allSatisfy((n, p) -> assertThat(p).hasSize(4));
    }

    @Test
    void existingStoresCountAndADrainedNodeGetsNoMasterButMayGetReplicas() {
        node("a", 4);
        node("b", 4);
        node("c", 4);
        stores.add(StoreCreation.record("old", StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, SlotRef.parse("a/s0"),
                List.of(SlotRef.parse("b/s0")), 0));
        List<StorePlacement.Placed> plan = StorePlacement.plan(nodes, stores, Set.of("c"), names(2), 1);
        assertThat(plan).extracting(p -> p.master().node()).containsExactly("b", "a");
        assertThat(plan.getFirst().master()).as("a's s0 and b's s0 are taken").isEqualTo(SlotRef.parse("b/s1"));
        // b's first master's replica: not a (which masters the store whose replica is on b... a and c hold none of b's), c has fewer slots used
        assertThat(plan.getFirst().replicas()).containsExactly(SlotRef.parse("c/s0"));
        assertThat(plan.get(1).replicas()).as("a's replicas: b holds one already, c none").containsExactly(SlotRef.parse("c/s1"));
    }

    @Test
    void tooFewFreeSlotsOrNodesIsRefusedWithTheReasonAndNothingIsPlaced() {
        node("a", 1);
        node("b", 1);
        assertThat(StorePlacement.plan(nodes, stores, Set.of(), names(1), 1)).hasSize(1);
        assertThatThrownBy(() -> StorePlacement.plan(nodes, stores, Set.of(), names(2), 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("store st2");
        assertThatThrownBy(() -> StorePlacement.plan(nodes, stores, Set.of(), names(1), 2))
                .hasMessageContaining("2 replica(s) on other nodes than a wanted, but only 1");
        assertThatThrownBy(() -> StorePlacement.plan(nodes, stores, Set.of("a", "b"), names(1), 0))
                .hasMessageContaining("no node that is not drained has a free slot");
    }

    @Test
    void namesSkipThoseThatExistAndAStoreThatExistsIsRefused() {
        assertThat(StorePlacement.names("s", 3, List.of("s2"))).containsExactly("s1", "s3", "s4");
        node("a", 2);
        node("b", 2);
        stores.add(StoreCreation.record("s1", StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, SlotRef.parse("a/s0"), List.of(), 0));
        assertThatThrownBy(() -> StorePlacement.plan(nodes, stores, Set.of(), List.of("s1"), 1)).hasMessageContaining("store s1 exists already");
    }
}
