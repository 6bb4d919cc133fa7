// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.FailoverPlanner.LiveNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FailoverPlannerTest {
    static final long NOW = 10_000_000;
    static final Duration DAMPING = Duration.ofSeconds(60), GRACE = Duration.ofSeconds(30);
    static final SlotRef A = new SlotRef("a", "x"), B = new SlotRef("b", "x"), C = new SlotRef("c", "x");

    final FailoverPlanner planner = new FailoverPlanner(DAMPING, GRACE);
    final Map<String, VersionedStore> stores = new TreeMap<>();
    final Map<String, LiveNode> live = new HashMap<>();
    final Map<String, Map<SlotRef, ProgressRecord>> progress = new HashMap<>();

    void store(String name, SlotRef master, List<SlotRef> replicas, Set<SlotRef> inSync, long masterSince) {
        stores.put(name, new VersionedStore(new StoreRecord(name, StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE,
                master, replicas, 4, inSync, masterSince), 12));
    }

    void live(String node, long registeredAt, String... slots) {
        live.put(node, new LiveNode(new NodeRecord(node, Map.of(), List.of(slots), "1", 0, registeredAt), registeredAt));
    }

    void progress(String store, SlotRef slot, boolean inSync, long position) {
        progress.computeIfAbsent(store, s -> new HashMap<>()).put(slot, new ProgressRecord(slot, inSync, 4, position));
    }

    Map<String, Verdict> plan() { return planner.plan(stores, live, progress, NOW); }

    @Test
    void aDeadMastersStoreGoesToTheInSyncLiveReplicaFurthestAhead() {
        store("s", A, List.of(B, C), Set.of(B, C), 0);
        live("b", 0, "x");
        live("c", 0, "x");
        progress("s", B, true, 90);
        progress("s", C, true, 100);
        Verdict.Promote p = (Verdict.Promote) plan().get("s");
        assertThat(p.to()).isEqualTo(C);
        assertThat(p.read().version()).isEqualTo(12);
        StoreRecord next = p.next();
        assertThat(next.epoch()).as("epoch raised by one").isEqualTo(5);
        assertThat(next.replicas()).containsExactly(B, A);
        assertThat(next.inSync()).as("the old master may hold commits nobody has: not in sync").containsExactly(B);
        assertThat(next.masterSince()).isEqualTo(NOW);
    }

    @Test
    void anOutOfSyncReplicaIsNeverPromotedHoweverFarAhead() {
        store("s", A, List.of(B, C), Set.of(C), 0);
        live("b", 0, "x");
        live("c", 0, "x");
        progress("s", B, true, 1_000);  // claims in sync but the store's set says otherwise
        progress("s", C, false, 10);    // in the set but its own claim says out of sync
        Verdict v = plan().get("s");
        assertThat(v).isInstanceOf(Verdict.Headless.class);
        assertThat(((Verdict.Headless) v).why()).contains("b/x is not in the in-sync set", "c/x: does not claim to be in sync");
    }

    @Test
    void anAsyncStoresReplicaLeftOutOfTheSetByItsMasterIsNotPromotedAndTheVerdictSaysWhy() {
        stores.put("s", new VersionedStore(new StoreRecord("s", StoreRecord.Mode.ASYNC, StoreRecord.OnReplicaLoss.DEGRADE,
                A, List.of(B), 4, Set.of(), 0), 12));
        live("b", 0, "x");
        progress("s", B, true, 1_000); // its own claim: in sync within the bound, which async cannot keep
        Verdict v = plan().get("s");
        assertThat(v).isInstanceOf(Verdict.Headless.class);
        assertThat(((Verdict.Headless) v).why()).contains("b/x is not in the in-sync set (async: the master takes its replicas out");
    }

    @Test
    void aReplicaOnAGoneNodeOrWithoutProgressOrOfANewerEpochIsNoCandidate() {
        store("s", A, List.of(B, C), Set.of(B, C), 0);
        live("c", 0, "x");
        progress("s", B, true, 100);
        assertThat(plan().get("s")).isInstanceOf(Verdict.Headless.class);
        live("b", 0, "x");
        progress.get("s").put(B, new ProgressRecord(B, true, 5, 100));
        assertThat(((Verdict.Headless) plan().get("s")).why()).contains("b/x: reports epoch 5", "c/x: no progress reported");
        progress("s", C, true, 1);
        assertThat(((Verdict.Promote) plan().get("s")).to()).isEqualTo(C);
    }

    @Test
    void aServedStoreIsLeftAloneAndSoIsOneWhoseMastersRegistrationIsUnreadable() {
        store("s", A, List.of(B), Set.of(B), 0);
        store("t", new SlotRef("u", "x"), List.of(B), Set.of(B), 0);
        live("a", 0, "x");
        live.put("u", new LiveNode(null, 0));
        live("b", 0, "x");
        progress("s", B, true, 100);
        progress("t", B, true, 100);
        assertThat(plan().values()).allMatch(v -> v instanceof Verdict.Served);
    }

    @Test
    void twentyStoresOfADeadNodeWithEqualReplicasSpreadEvenlyOverTheSurvivors() {
        for (int i = 0; i < 20; i++) {
            String s = "s%02d".formatted(i);
            store(s, A, List.of(B, C), Set.of(B, C), 0);
            progress(s, B, true, 50);
            progress(s, C, true, 50);
        }
        store("b-own", B, List.of(A), Set.of(), 0); // b already holds one master
        live("b", 0, "x");
        live("c", 0, "x");
        Map<String, Long> byNode = plan().values().stream().filter(v -> v instanceof Verdict.Promote)
                .collect(Collectors.groupingBy(v -> ((Verdict.Promote) v).to().node(), Collectors.counting()));
        // c starts with none, b with one: c first, then turn about
        assertThat(byNode).isEqualTo(Map.of("b", 10L, "c", 10L));
        assertThat(((Verdict.Promote) plan().get("s00")).to()).as("the node with fewer masters first").isEqualTo(C);
    }

    @Test
    void aNodeThatJustRejoinedIsNotPreferredOverAnEqualOneButWinsWhenAhead() {
        store("s", A, List.of(B, C), Set.of(B, C), 0);
        live("b", NOW - 1_000, "x");               // registered a second ago: younger than the grace
        live("c", NOW - GRACE.toMillis(), "x");    // exactly the grace: settled
        progress("s", B, true, 100);
        progress("s", C, true, 100);
        assertThat(((Verdict.Promote) plan().get("s")).to()).isEqualTo(C);
        progress("s", B, true, 101);
        assertThat(((Verdict.Promote) plan().get("s")).to()).isEqualTo(B);
    }

    @Test
    void aLiveMasterThatStoppedServingItsSlotIsDampedRightAfterAMoveButNotLater() {
        store("recent", A, List.of(B), Set.of(B), NOW - DAMPING.toMillis() + 1);
        store("settled", A, List.of(B), Set.of(B), NOW - DAMPING.toMillis());
        live("a", 0, "y");  // node a is alive but no longer serves slot x
        live("b", 0, "x");
        progress("recent", B, true, 1);
        progress("settled", B, true, 1);
        Map<String, Verdict> plan = plan();
        assertThat(plan.get("recent")).isInstanceOf(Verdict.Damped.class);
        assertThat(((Verdict.Damped) plan.get("recent")).until()).isEqualTo(NOW + 1);
        assertThat(plan.get("settled")).isInstanceOf(Verdict.Promote.class);
    }

    @Test
    void dampingNeverHoldsAStoreWhoseMastersNodeIsGone() {
        store("s", A, List.of(B), Set.of(B), NOW - 1);
        live("b", 0, "x");
        progress("s", B, true, 1);
        assertThat(plan().get("s")).isInstanceOf(Verdict.Promote.class);
    }

    @Test
    void aDrainedNodeIsGivenAStoreOnlyWhenNoOtherInSyncReplicaIsAsFarAhead() {
        store("s", A, List.of(B, C), Set.of(B, C), 0);
        live("b", 0, "x");
        live("c", 0, "x");
        progress("s", B, true, 100);
        progress("s", C, true, 100);
        // b has fewer masters than nothing else and sorts first by name: without the mark it wins
        assertThat(((Verdict.Promote) plan().get("s")).to()).isEqualTo(B);
        assertThat(((Verdict.Promote) planner.plan(stores, live, progress, Set.of("b"), NOW).get("s")).to())
                .as("a drained node's masters are not given back to it").isEqualTo(C);
        progress("s", C, false, 100);
        assertThat(((Verdict.Promote) planner.plan(stores, live, progress, Set.of("b"), NOW).get("s")).to())
                .as("better a drained node than no master").isEqualTo(B);
    }
}
