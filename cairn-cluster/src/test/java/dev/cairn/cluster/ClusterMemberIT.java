// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A node's membership against a real three-server ensemble: registration, compare-and-set, the write lease under a partition. */
@Timeout(90)
class ClusterMemberIT extends EnsembleFixture {

    @Test
    void aRegistrationIsVisibleWhileItsSessionLivesAndGoneWhenTheSessionEnds() throws Exception {
        cluster();
        SimNode leaving = node("leaving", false, false, "s0");
        SimNode dying = node("dying", true, false, "s0", "s1");
        assertThat(observer.getChildren().forPath(paths().nodes())).containsExactlyInAnyOrder("leaving", "dying");
        NodeRecord seen = RecordCodec.decode(observer.getData().forPath(paths().node("dying")), "dying", NodeRecord.class);
        assertThat(seen.slots()).containsExactly("s0", "s1");
        assertThat(seen.addresses()).containsEntry("imap", "127.0.0.1:1143");
        assertThat(observer.checkExists().forPath(paths().node("dying")).getEphemeralOwner()).isNotZero();

        leaving.close();
        eventually(Duration.ofSeconds(2), () -> assertThat(observer.checkExists().forPath(paths().node("leaving"))).isNull());

        long cut = System.nanoTime();
        dying.kill();
        eventually(SESSION.plusSeconds(5), () -> assertThat(observer.checkExists().forPath(paths().node("dying"))).isNull());
        long goneAfter = (System.nanoTime() - cut) / 1_000_000;
        System.out.printf("registration of a cut-off node gone %d ms after the cut (session %d ms)%n", goneAfter, SESSION.toMillis());
        assertThat(goneAfter).as("not before its session could expire").isGreaterThanOrEqualTo(SESSION.toMillis() * 2 / 3);
        assertThat(dying.member.lease().mayAcknowledge()).isFalse();
    }

    @Test
    void twoWritersRacingACompareAndSetOnOneStoreRecordExactlyOneWins() throws Exception {
        cluster();
        SimNode one = node("one", false, false, "s0");
        SimNode two = node("two", false, false, "s0");
        SlotRef a = new SlotRef("one", "s0"), b = new SlotRef("two", "s0"), c = new SlotRef("three", "s0");
        one.member.stores().create(store("race", a, List.of(b, c), Set.of(b, c), 0));
        for (int round = 0; round < 10; round++) {
            VersionedStore readByOne = one.member.stores().read("race").orElseThrow();
            // Two's session may be on another server of the ensemble, which applies one's last write a moment later
            // (ZooKeeper orders each client's view, not two clients' reads): both must start from the same version.
            AtomicReference<VersionedStore> two0 = new AtomicReference<>();
            eventually(Duration.ofSeconds(5), () -> {
                two0.set(two.member.stores().read("race").orElse(null));
                assertThat(two0.get()).isNotNull();
                assertThat(two0.get().version()).isEqualTo(readByOne.version());
            });
            VersionedStore readByTwo = two0.get();
            CyclicBarrier together = new CyclicBarrier(2);
            var first = CompletableFuture.supplyAsync(() -> attempt(together, one, readByOne, readByOne.record().withInSync(Set.of(b))));
            var second = CompletableFuture.supplyAsync(() -> attempt(together, two, readByTwo, readByTwo.record().withInSync(Set.of(c))));
            List<Object> outcomes = List.of(first.get(), second.get());
            assertThat(outcomes).filteredOn(o -> o instanceof VersionedStore).hasSize(1);
            assertThat(outcomes).filteredOn(o -> o instanceof StoreConflictException).hasSize(1);
            VersionedStore won = (VersionedStore) outcomes.stream().filter(o -> o instanceof VersionedStore).findFirst().orElseThrow();
            VersionedStore now = one.member.stores().read("race").orElseThrow();
            assertThat(now).isEqualTo(won);
            assertThat(now.version()).isEqualTo(readByOne.version() + 1);
            StoreConflictException lost = (StoreConflictException) outcomes.stream().filter(o -> o instanceof StoreConflictException).findFirst().orElseThrow();
            assertThat(lost).hasMessageContaining("store race changed since its version " + readByOne.version() + " was read: re-read it");
            // the loser re-reads and decides again: its write goes through on the new version
            now = one.member.stores().compareAndSet(now, now.record().withInSync(Set.of(b, c)));
        }
        VersionedStore end = one.member.stores().read("race").orElseThrow();
        eventually(Duration.ofSeconds(5), () -> {
            assertThat(one.map.get("race")).isEqualTo(end.record());
            assertThat(two.map.get("race")).isEqualTo(end.record());
        });
    }

    private static Object attempt(CyclicBarrier together, SimNode writer, VersionedStore read, StoreRecord next) {
        try {
            together.await();
            return writer.member.stores().compareAndSet(read, next);
        } catch (StoreConflictException e) {
            return e;
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void aPartitionedNodeStopsAcknowledgingBeforeItsSessionCanExpireOnTheEnsemble() throws Exception {
        cluster();
        SimNode cut = node("cut", true, false, "s0");
        WriteLease lease = cut.member.lease();
        long session = lease.session();
        assertThat(lease.mayAcknowledge()).isTrue();

        // a short partition: the lease lapses, and comes back with the same session
        long shortCut = System.nanoTime();
        cut.proxy.blackhole();
        eventually(SESSION, () -> assertThat(lease.mayAcknowledge()).isFalse());
        cut.proxy.heal();
        eventually(SESSION.plusSeconds(3), () -> assertThat(lease.mayAcknowledge()).isTrue());
        long backMs = (System.nanoTime() - shortCut) / 1_000_000;
        if (lease.session() != session) {
            // The client reconnects only after its read timeout (2/3 of the session); on a loaded machine that can be
            // past the session's end, and then a new session is right. Never sooner: that would be a session thrown away.
            assertThat(backMs).as("a new session only when the lease came back after the old session could expire").isGreaterThanOrEqualTo(SESSION.toMillis());
            System.out.printf("short partition: back after %d ms, past the session (%d ms): a new session%n", backMs, SESSION.toMillis());
            session = lease.session();
        } else {
            assertThat(cut.member.reconnections()).isEqualTo(1);
        }

        // a long one: the session ends on the ensemble, and the lease ended before
        AtomicLong deletedAt = new AtomicLong();
        Stat registered = observer.checkExists().usingWatcher((Watcher) (WatchedEvent e) -> {
            if (e.getType() == Watcher.Event.EventType.NodeDeleted) deletedAt.set(System.nanoTime());
        }).forPath(paths().node("cut"));
        assertThat(registered).isNotNull();
        int deliveriesBefore = cut.deliveries.get();
        long t0 = System.nanoTime();
        cut.proxy.blackhole();
        long leaseEndedAt = 0;
        while (lease.mayAcknowledge()) Thread.sleep(1);
        leaseEndedAt = System.nanoTime();
        eventually(SESSION.plusSeconds(10), () -> assertThat(deletedAt.get()).isNotZero());
        long leaseMs = (leaseEndedAt - t0) / 1_000_000, expiredMs = (deletedAt.get() - t0) / 1_000_000;
        System.out.printf("partition: lease false %d ms after the cut, the ensemble deleted the registration %d ms after (session %d ms)%n",
                leaseMs, expiredMs, cut.member.sessionTimeoutMillis());
        assertThat(leaseEndedAt).as("the lease ends before the session does").isLessThan(deletedAt.get());
        assertThat(leaseMs).as("within half a session and one heartbeat").isLessThanOrEqualTo(cut.member.sessionTimeoutMillis() * 2 / 3 + 500);

        // back on a new session: fenced until the map is learned again, then open
        cut.proxy.heal();
        eventually(SESSION.plusSeconds(10), () -> assertThat(lease.mayAcknowledge()).isTrue());
        assertThat(lease.session()).as("a new session").isNotEqualTo(session);
        assertThat(cut.deliveries.get()).as("the map was delivered again before the lease opened").isGreaterThan(deliveriesBefore);
        eventually(Duration.ofSeconds(5), () -> assertThat(observer.checkExists().forPath(paths().node("cut"))).isNotNull());
    }

    @Test
    void aStoreRecordThatDoesNotDecodeIsNotDeliveredAndTheRestIs() throws Exception {
        cluster();
        SimNode n = node("n", false, false, "s0");
        SlotRef a = new SlotRef("n", "s0");
        n.member.stores().create(store("good", a, List.of(), Set.of(), 0));
        observer.create().forPath(paths().store("bad"), "kind=store\nformat=1\nname=bad\n".getBytes());
        n.member.stores().create(store("later", a, List.of(), Set.of(), 0));
        eventually(Duration.ofSeconds(5), () -> assertThat(n.map).containsOnlyKeys("good", "later"));
        List<String> refused = new ArrayList<>();
        assertThat(n.member.stores().readAll((store, e) -> refused.add(e.getMessage()))).containsOnlyKeys("good", "later");
        assertThat(refused).singleElement().asString().contains("/stores/bad: mode is missing");
    }
}
