// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DrainPlannerTest {
    final Map<String, StoreRecord> stores = new TreeMap<>();
    final Map<String, NodeRecord> live = new HashMap<>();

    void store(String name, SlotRef master, List<SlotRef> replicas, Set<SlotRef> inSync) {
        stores.put(name, new StoreRecord(name, StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, master, replicas, 3, inSync, 0));
    }

    void live(String node, String... slots) {
        live.put(node, new NodeRecord(node, Map.of(), List.of(slots), "1", 0, 0));
    }

    static SlotRef slot(String s) { return SlotRef.parse(s); }

    @Test
    void everyMasterOfTheNodeMovesToAnInSyncReplicaSpreadOverTheOtherNodes() {
        for (int i = 0; i < 20; i++) {
            store("s%02d".formatted(i), slot("n1/x" + i), List.of(slot("n2/x" + i), slot("n3/x" + i)), Set.of(slot("n2/x" + i), slot("n3/x" + i)));
        }
        store("own", slot("n2/y"), List.of(slot("n1/y")), Set.of(slot("n1/y"))); // n2 holds one master already
        List<String> xs = java.util.stream.IntStream.range(0, 20).mapToObj(i -> "x" + i).toList();
        live("n1", "y");
        live("n2", java.util.stream.Stream.concat(xs.stream(), java.util.stream.Stream.of("y")).toArray(String[]::new));
        live("n3", xs.toArray(String[]::new));
        DrainPlanner.Plan plan = DrainPlanner.plan("n1", stores, live, Set.of("n1"));
        assertThat(plan.stuck()).isEmpty();
        assertThat(plan.moves()).hasSize(20).noneMatch(m -> m.store().equals("own"));
        Map<String, Long> byNode = plan.moves().stream().collect(Collectors.groupingBy(m -> m.to().node(), Collectors.counting()));
        // n3 starts with none, n2 with one: n3 first, then turn about, ending even (11 masters each)
        assertThat(byNode).isEqualTo(Map.of("n2", 10L, "n3", 10L));
        assertThat(plan.moves().getFirst().to()).isEqualTo(slot("n3/x0"));
    }

    @Test
    void aStoreWithoutAnInSyncReplicaOnALiveNodeThatIsNotDrainedStaysAndSaysWhy() {
        store("a", slot("n1/x"), List.of(slot("n2/x"), slot("n3/x")), Set.of(slot("n3/x")));      // n2 out of sync
        store("b", slot("n1/y"), List.of(slot("n2/y")), Set.of(slot("n2/y")));                    // n2 drained
        store("c", slot("n1/z"), List.of(slot("n4/z")), Set.of(slot("n4/z")));                    // n4 gone
        store("d", slot("n1/w"), List.of(slot("n3/w")), Set.of(slot("n3/w")));                    // n3 does not serve w
        live("n1", "x", "y", "z", "w");
        live("n2", "x", "y");
        live("n3", "x");
        DrainPlanner.Plan plan = DrainPlanner.plan("n1", stores, live, Set.of("n1", "n2"));
        assertThat(plan.moves()).containsExactly(new DrainPlanner.Move("a", slot("n1/x"), slot("n3/x")));
        Map<String, String> why = plan.stuck().stream().collect(Collectors.toMap(DrainPlanner.Stuck::store, DrainPlanner.Stuck::why));
        assertThat(why.get("b")).contains("node n2 is drained");
        assertThat(why.get("c")).contains("n4/z: node not registered");
        assertThat(why.get("d")).contains("n3/w: slot not served");
        assertThat(DrainPlanner.plan("n1", stores, live, Set.of()).stuck()).extracting(DrainPlanner.Stuck::store).containsExactly("c", "d");
    }

    @Test
    void aNodeThatMastersNothingIsDrained() {
        store("a", slot("n2/x"), List.of(slot("n1/x")), Set.of(slot("n1/x")));
        live("n1", "x");
        live("n2", "x");
        assertThat(DrainPlanner.plan("n1", stores, live, Set.of("n1")).done()).isTrue();
    }

    @Test
    void aPlannedSwitchKeepsTheOldMasterInSyncInItsReplicasPlace() {
        store("a", slot("n1/x"), List.of(slot("n2/x"), slot("n3/x")), Set.of(slot("n2/x"), slot("n3/x")));
        StoreRecord next = stores.get("a").switchTo(slot("n2/x"), 99);
        assertThat(next.master()).isEqualTo(slot("n2/x"));
        assertThat(next.epoch()).isEqualTo(4);
        assertThat(next.replicas()).as("the order the node's own switch keeps").containsExactly(slot("n1/x"), slot("n3/x"));
        assertThat(next.inSync()).as("the old master holds everything: undrain can move it back").containsExactlyInAnyOrder(slot("n1/x"), slot("n3/x"));
        assertThat(next.masterSince()).isEqualTo(99);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> next.switchTo(slot("n2/x"), 100)).isInstanceOf(IllegalArgumentException.class);
    }
}
