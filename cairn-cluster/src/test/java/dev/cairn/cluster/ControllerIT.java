// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The elected controller against a real three-server ensemble: election, failover, damping, a lost ZooKeeper leader. */
@Timeout(90)
class ControllerIT extends EnsembleFixture {
    static final long LONG_AGO = System.currentTimeMillis() - 3_600_000;

    @Test
    void oneControllerIsElectedAndAnotherTakesOverWhenItLeaves() throws Exception {
        cluster();
        List<SimNode> nodes = List.of(node("p", false, true, "x"), node("q", false, true, "x"), node("r", false, true, "x"));
        eventually(Duration.ofSeconds(10), () -> assertThat(nodes).filteredOn(SimNode::leads).hasSize(1));
        SimNode first = nodes.stream().filter(SimNode::leads).findFirst().orElseThrow();
        first.close();
        eventually(Duration.ofSeconds(10), () -> assertThat(nodes).filteredOn(n -> n != first && n.leads()).hasSize(1));
    }

    @Test
    void aDeadNodesStoresGoToTheirInSyncLiveFurthestReplicasSpreadOverTheSurvivors() throws Exception {
        cluster();
        SimNode a = node("a", true, true, "x");     // started first: likely the controller, so its death also moves the controller
        SimNode b = node("b", false, true, "x"), c = node("c", false, true, "x");
        SlotRef ax = a.slot("x"), bx = b.slot("x"), cx = c.slot("x");
        for (int i = 0; i < 20; i++) a.member.stores().create(store("s%02d".formatted(i), ax, List.of(bx, cx), Set.of(bx, cx), LONG_AGO));
        a.member.stores().create(store("unclean", ax, List.of(bx, cx), Set.of(cx), LONG_AGO));
        b.member.stores().create(store("b-own", bx, List.of(cx), Set.of(cx), LONG_AGO));
        eventually(Duration.ofSeconds(10), () -> assertThat(b.map).hasSize(22));
        eventually(Duration.ofSeconds(10), () -> assertThat(c.map).hasSize(22));
        for (int i = 0; i < 20; i++) {
            String s = "s%02d".formatted(i);
            // 0-4: b is ahead; 5-9: c is ahead; 10-19: a tie, spread by the masters each holds
            b.progress(s, "x", true, 0, i < 5 ? 100 : i < 10 ? 90 : 50);
            c.progress(s, "x", true, 0, i < 5 ? 90 : i < 10 ? 100 : 50);
        }
        b.progress("unclean", "x", true, 0, 1_000);  // far ahead, but not in the store's in-sync set
        c.progress("unclean", "x", false, 0, 10);    // in the set, but it says it is not in sync
        eventually(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < 20; i++) assertThat(observer.getChildren().forPath(paths().progress("s%02d".formatted(i)))).hasSize(2);
        });
        eventually(Duration.ofSeconds(10), () -> assertThat(Stream.of(a, b, c).filter(SimNode::leads).count()).isEqualTo(1));
        boolean aLed = a.leads();
        // failovers of long ago: with the 20 to come, the oldest 10 go (the newest 100 are kept)
        for (int i = 0; i < 90; i++)
            observer.create().withMode(org.apache.zookeeper.CreateMode.PERSISTENT_SEQUENTIAL).forPath(paths().failoverPrefix(),
                    RecordCodec.encode(new FailoverRecord(i, "old", bx, cx, 1, "long ago")));

        long t0 = System.nanoTime();
        a.kill();
        eventually(SESSION.plusSeconds(10), () -> {
            for (int i = 0; i < 20; i++) assertThat(b.map.get("s%02d".formatted(i)).master()).isNotEqualTo(ax);
        });
        long movedMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("20 stores of a dead node in the map with new masters %d ms after it was cut off (session %d ms, the controller was %s)%n",
                movedMs, SESSION.toMillis(), aLed ? "the dead node: a new one was elected" : "another node");
        assertThat(movedMs).as("within the session timeout and a second").isLessThanOrEqualTo(SESSION.toMillis() + 1_000);

        Map<String, Integer> newMasters = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            StoreRecord s = b.map.get("s%02d".formatted(i));
            if (i < 5) assertThat(s.master()).as(s.name()).isEqualTo(bx);
            else if (i < 10) assertThat(s.master()).as(s.name()).isEqualTo(cx);
            if (i >= 10) newMasters.merge(s.master().node(), 1, Integer::sum);
            assertThat(s.epoch()).isEqualTo(1);
            assertThat(s.replicas()).contains(ax);
            assertThat(s.inSync()).doesNotContain(ax, s.master()).hasSize(1);
        }
        // b holds b-own and 5, c holds 5: the ten ties go c, b, c, b, ... ending even at 11 and 10 with b-own
        assertThat(newMasters).isEqualTo(Map.of("b", 5, "c", 5));
        StoreRecord unclean = b.map.get("unclean");
        assertThat(unclean.master()).as("never an out-of-sync replica").isEqualTo(ax);
        assertThat(unclean.epoch()).isZero();
        SimNode controller = b.leads() ? b : c;
        eventually(Duration.ofSeconds(5), () -> assertThat(controller.controller.verdicts().get("unclean")).isInstanceOf(Verdict.Headless.class));
        assertThat(((Verdict.Headless) controller.controller.verdicts().get("unclean")).why())
                .contains("b/x is not in the in-sync set", "c/x: does not claim to be in sync");
        assertThat(b.map.get("b-own").master()).isEqualTo(bx);
        eventually(Duration.ofSeconds(5), () -> {
            List<String> all = observer.getChildren().forPath(paths().failovers()).stream().sorted().toList();
            assertThat(all).hasSize(Controller.FAILOVERS_KEPT);
            assertThat(RecordCodec.decode(observer.getData().forPath(paths().failovers() + "/" + all.getLast()), "f", FailoverRecord.class).store()).isNotEqualTo("old");
        });
        List<String> records = observer.getChildren().forPath(paths().failovers()).stream().sorted().toList();
        Map<String, FailoverRecord> newest = new HashMap<>();
        for (String r : records.subList(80, 100)) {
            FailoverRecord f = RecordCodec.decode(observer.getData().forPath(paths().failovers() + "/" + r), r, FailoverRecord.class);
            assertThat(f.from()).isEqualTo(ax);
            assertThat(f.epoch()).isEqualTo(1);
            assertThat(f.why()).contains("node a of master a/x is gone");
            newest.put(f.store(), f);
        }
        assertThat(newest).hasSize(20);
        assertThat(newest.get("s00").to()).isEqualTo(bx);
        FailoverRecord oldestKept = RecordCodec.decode(observer.getData().forPath(paths().failovers() + "/" + records.getFirst()), "f", FailoverRecord.class);
        assertThat(oldestKept.at()).as("the 10 oldest went").isEqualTo(10);
    }

    @Test
    void aStoreThatJustMovedIsNotMovedAgainWhileItsMasterLivesButIsWhenItsMasterDies() throws Exception {
        config = cluster().withDamping(Duration.ofSeconds(60), Duration.ZERO);
        SimNode d = node("d", true, false, "x");
        SimNode e = node("e", false, true, "x");
        SlotRef dx = d.slot("x"), ex = e.slot("x");
        e.member.stores().create(store("recent", dx, List.of(ex), Set.of(ex), System.currentTimeMillis()));
        e.member.stores().create(store("settled", dx, List.of(ex), Set.of(ex), LONG_AGO));
        eventually(Duration.ofSeconds(10), () -> assertThat(e.map).hasSize(2));
        e.progress("recent", "x", true, 0, 5);
        e.progress("settled", "x", true, 0, 5);
        eventually(Duration.ofSeconds(10), () -> assertThat(e.controller.verdicts()).hasSize(2)
                .allSatisfy((store, v) -> assertThat(v).isInstanceOf(Verdict.Served.class)));

        // d stops serving slot x (its disk failed) but lives on
        d.member.updateRegistration(new NodeRecord("d", Map.of(), List.of(), "test", 0, 0));
        eventually(Duration.ofSeconds(10), () -> assertThat(e.map.get("settled").master()).isEqualTo(ex));
        eventually(Duration.ofSeconds(5), () -> assertThat(e.controller.verdicts().get("recent")).isInstanceOf(Verdict.Damped.class));
        assertThat(e.map.get("recent").master()).as("damped: moved less than failover_damping ago").isEqualTo(dx);
        assertThat(e.map.get("recent").epoch()).isZero();

        // d's session ends: no live master at all, damping or not
        d.kill();
        eventually(SESSION.plusSeconds(10), () -> assertThat(e.map.get("recent").master()).isEqualTo(ex));
        assertThat(e.map.get("recent").epoch()).isEqualTo(1);
    }

    @Test
    void aNodeBackOnANewSessionFollowsAFailoverMadeMeanwhileAndResumesWhereNoneWasMade() throws Exception {
        cluster();
        SimNode a = node("a", true, false, "x");
        SimNode b = node("b", false, true, "x");
        SlotRef ax = a.slot("x"), bx = b.slot("x");
        b.member.stores().create(store("moved", ax, List.of(bx), Set.of(bx), LONG_AGO));
        b.member.stores().create(store("kept", ax, List.of(bx), Set.of(), LONG_AGO));  // no in-sync replica: nobody may take it
        eventually(Duration.ofSeconds(10), () -> assertThat(b.map).hasSize(2));
        b.progress("moved", "x", true, 0, 3);
        b.progress("kept", "x", true, 0, 3);
        eventually(Duration.ofSeconds(10), () -> assertThat(b.controller.verdicts()).hasSize(2));
        long session = a.member.lease().session();
        int keptVersion = observer.checkExists().forPath(paths().store("kept")).getVersion();

        a.proxy.blackhole();
        eventually(SESSION.plusSeconds(10), () -> assertThat(b.map.get("moved").master()).isEqualTo(bx));
        assertThat(a.member.lease().mayAcknowledge()).isFalse();
        a.proxy.heal();
        eventually(SESSION.plusSeconds(10), () -> assertThat(a.member.lease().mayAcknowledge()).isTrue());
        assertThat(a.member.lease().session()).isNotEqualTo(session);
        // the map it learned before its lease opened: "moved" has a new master at a new epoch, "kept" is still its own
        assertThat(a.map.get("moved").master()).isEqualTo(bx);
        assertThat(a.map.get("moved").epoch()).isEqualTo(1);
        assertThat(a.map.get("kept").master()).isEqualTo(ax);
        assertThat(observer.checkExists().forPath(paths().store("kept")).getVersion())
                .as("claimed again by compare-and-set before resuming").isEqualTo(keptVersion + 1);
        assertThat(b.map.get("kept").master()).isEqualTo(ax);
    }

    @Test
    void theZooKeeperLeaderKilledCostsNoSessionAndNoFailover() throws Exception {
        cluster();
        List<SimNode> nodes = List.of(node("p", false, true, "x"), node("q", false, true, "x"), node("r", false, true, "x"));
        SlotRef px = nodes.get(0).slot("x"), qx = nodes.get(1).slot("x"), rx = nodes.get(2).slot("x");
        List<SlotRef> slots = List.of(px, qx, rx);
        for (int i = 0; i < 6; i++) {
            SlotRef master = slots.get(i % 3), replica = slots.get((i + 1) % 3);
            nodes.getFirst().member.stores().create(store("z" + i, master, List.of(replica), Set.of(replica), LONG_AGO));
        }
        eventually(Duration.ofSeconds(10), () -> assertThat(nodes).allSatisfy(n -> assertThat(n.map).hasSize(6)));
        for (int i = 0; i < 6; i++) nodes.get((i + 1) % 3).progress("z" + i, "x", true, 0, 7);
        eventually(Duration.ofSeconds(10), () -> assertThat(nodes).filteredOn(SimNode::leads).hasSize(1));
        Map<String, Long> sessions = new HashMap<>(), reconnections = new HashMap<>(), registered = new HashMap<>();
        for (SimNode n : nodes) {
            sessions.put(n.name, n.member.lease().session());
            reconnections.put(n.name, n.member.reconnections());
            registered.put(n.name, observer.checkExists().forPath(paths().node(n.name)).getCzxid());
        }
        Map<String, Integer> versions = new HashMap<>();
        for (int i = 0; i < 6; i++) versions.put("z" + i, observer.checkExists().forPath(paths().store("z" + i)).getVersion());

        int leader = zk.leader();
        assertThat(leader).isNotNegative();
        long t0 = System.nanoTime();
        zk.kill(leader);
        try {
            // every node's connection came back on its own session (revalidated by the new leader: it cannot expire from the kill)
            eventually(Duration.ofSeconds(30), () -> assertThat(nodes).allSatisfy(n -> {
                assertThat(n.member.reconnections()).isGreaterThan(reconnections.get(n.name));
                assertThat(n.member.lease().mayAcknowledge()).isTrue();
            }));
            System.out.printf("ZooKeeper leader %d killed: every node acknowledging again on its own session %d ms later (session %d ms)%n",
                    leader, (System.nanoTime() - t0) / 1_000_000, SESSION.toMillis());
            for (SimNode n : nodes) {
                assertThat(n.member.lease().session()).as(n.name + "'s session").isEqualTo(sessions.get(n.name));
                assertThat(observer.checkExists().forPath(paths().node(n.name)).getCzxid()).as(n.name + " registered once").isEqualTo(registered.get(n.name));
            }
            for (int i = 0; i < 6; i++)
                assertThat(observer.checkExists().forPath(paths().store("z" + i)).getVersion()).as("z" + i + " unchanged").isEqualTo(versions.get("z" + i));
            assertThat(observer.getChildren().forPath(paths().failovers())).isEmpty();
            assertThat(nodes).allSatisfy(n -> assertThat(n.controller.failovers()).isZero());
        } finally {
            zk.restart(leader);
        }
    }
}
