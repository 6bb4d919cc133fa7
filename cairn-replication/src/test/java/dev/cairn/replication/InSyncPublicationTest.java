// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.StoreException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The order a cluster master keeps between its store record's in-sync set and its
 * acknowledgements: a replica that lacks a commit leaves the record before the commit is
 * acknowledged (or the commit is not acknowledged), and comes back only when it may.
 */
@Timeout(30)
class InSyncPublicationTest {
    /** One replica, n2, whose state the test sets. */
    private static final class FakeReplicas implements InSyncPublication.Replicas {
        final AtomicBoolean inSync = new AtomicBoolean(true), current = new AtomicBoolean(true);

        @Override public Set<String> all() { return Set.of("n2"); }

        @Override public boolean mayStay(String replica, String user, long seq) { return inSync.get(); }

        @Override public boolean mayJoin(String replica) { return inSync.get() && current.get(); }
    }

    /** The record as the publisher last wrote it, and every event in order. */
    private static final class FakeRecord implements InSyncPublisher {
        final List<String> events = new CopyOnWriteArrayList<>();
        volatile Set<String> inSync = Set.of("n2");
        volatile CountDownLatch gate = new CountDownLatch(0);
        final CountDownLatch entered = new CountDownLatch(1);
        volatile boolean unreachable;

        @Override public void publish(String store, long epoch, Set<String> replicas) throws Exception {
            if (unreachable) throw new java.io.IOException("ZooKeeper unreachable");
            if (!replicas.equals(inSync)) entered.countDown();
            assertThat(gate.await(20, TimeUnit.SECONDS)).isTrue();
            inSync = replicas;
            events.add("record " + replicas);
        }
    }

    @Test void aCommitTheListedReplicaLacksIsNotAcknowledgedBeforeTheRecordLostIt() throws Exception {
        FakeReplicas replicas = new FakeReplicas();
        FakeRecord record = new FakeRecord();
        InSyncPublication p = new InSyncPublication("s1", () -> 1, record, replicas, Duration.ofSeconds(10), false);
        p.start();
        try {
            p.beforeAcknowledging("alice", 1); // in sync and listed: at once
            record.gate = new CountDownLatch(1); // the next write to the record hangs until released
            replicas.inSync.set(false); // the master degraded: n2 lacks what comes next
            CompletableFuture<Void> ack = CompletableFuture.runAsync(() -> {
                p.beforeAcknowledging("alice", 2);
                record.events.add("acknowledged alice 2");
            });
            assertThat(record.entered.await(10, TimeUnit.SECONDS)).as("the record is being written").isTrue();
            assertThat(ack).as("no acknowledgement while the compare-and-set has not returned").isNotDone();
            Thread.sleep(200);
            assertThat(ack).isNotDone();
            record.gate.countDown();
            ack.get(10, TimeUnit.SECONDS);
            assertThat(record.events).containsSubsequence("record []", "acknowledged alice 2");
            assertThat(record.events.indexOf("record []")).isLessThan(record.events.indexOf("acknowledged alice 2"));
        } finally {
            p.stop();
        }
    }

    @Test void withoutZooKeeperACommitTheListedReplicaLacksFailsUnavailableAfterTheTimeout() {
        FakeReplicas replicas = new FakeReplicas();
        FakeRecord record = new FakeRecord();
        record.unreachable = true;
        replicas.inSync.set(false);
        InSyncPublication p = new InSyncPublication("s1", () -> 1, record, replicas, Duration.ofMillis(500), false);
        p.start();
        try {
            long start = System.nanoTime();
            assertThatThrownBy(() -> p.beforeAcknowledging("alice", 2)).isInstanceOf(StoreException.class)
                    .hasMessageContaining("not acknowledged").hasMessageContaining("ZooKeeper unreachable")
                    .satisfies(e -> assertThat(((StoreException) e).reason()).isEqualTo(StoreException.Reason.UNAVAILABLE));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(450), Duration.ofSeconds(5));
            // Back: the record loses n2 and the commit goes through.
            record.unreachable = false;
            p.beforeAcknowledging("alice", 2);
            assertThat(record.inSync).isEmpty();
        } finally {
            p.stop();
        }
    }

    @Test void aPromotedMasterTakesItsReplicasOutBeforeItsFirstWrite() throws Exception {
        FakeReplicas replicas = new FakeReplicas();
        FakeRecord record = new FakeRecord();
        replicas.inSync.set(false);
        InSyncPublication p = new InSyncPublication("s1", () -> 2, record, replicas, Duration.ofSeconds(10), true);
        p.start();
        try {
            eventually(Duration.ofSeconds(10), () -> assertThat(record.inSync).isEmpty());
            assertThat(p.mayBeListed()).isEmpty();
        } finally {
            p.stop();
        }
    }

    @Test void aReplicaIsPutBackOnlyOnceItMayJoinAndCountsAsListedWhileThatIsWritten() throws Exception {
        FakeReplicas replicas = new FakeReplicas();
        FakeRecord record = new FakeRecord();
        replicas.inSync.set(false);
        InSyncPublication p = new InSyncPublication("s1", () -> 1, record, replicas, Duration.ofSeconds(10), false);
        p.start();
        try {
            Thread.sleep(3 * InSyncPublication.EVERY.toMillis());
            assertThat(record.events).as("out of sync, but nothing acknowledged that it lacks: left in").isEmpty();
            p.beforeAcknowledging("alice", 2);
            assertThat(record.inSync).isEmpty();
            replicas.inSync.set(true); // in sync again, but still behind
            replicas.current.set(false);
            Thread.sleep(3 * InSyncPublication.EVERY.toMillis());
            assertThat(record.inSync).as("not put back early").isEmpty();
            assertThat(p.mayBeListed()).isEmpty();
            record.gate = new CountDownLatch(1);
            replicas.current.set(true);
            eventually(Duration.ofSeconds(10), () -> assertThat(p.mayBeListed()).contains("n2"));
            assertThat(record.inSync).as("still being written").isEmpty();
            record.gate.countDown();
            eventually(Duration.ofSeconds(10), () -> assertThat(record.inSync).containsExactly("n2"));
            assertThat(p.mayBeListed()).containsExactly("n2");
        } finally {
            p.stop();
        }
    }
}
