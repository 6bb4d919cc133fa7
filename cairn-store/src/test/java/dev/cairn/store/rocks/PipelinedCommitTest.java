// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static dev.cairn.store.rocks.SlotStoreTest.mail;
import static dev.cairn.store.rocks.SlotStoreTest.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.SlotConfig;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.changelog.ChangeRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fsync runs on its own thread, after the group's write: a written group is in the database
 * before it is durable. These hold the syncer at its fsync to show who may see it meanwhile.
 */
class PipelinedCommitTest {
    @TempDir Path dir;

    /** Blocks the syncer before its next fsync until released. */
    static final class HeldFsync implements Runnable {
        final CountDownLatch reached = new CountDownLatch(1), release = new CountDownLatch(1);

        @Override public void run() {
            reached.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test void neitherTheCallerNorAReplicaReaderSeesACommitBeforeItsFsync() throws Exception {
        var meters = new SimpleMeterRegistry();
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withSync(true).withMeters(meters))) {
            UserStore u = slot.openOrCreateUser("alice");
            long seq = u.highestModSeq();
            int channel = slot.channelOf("alice");
            HeldFsync held = new HeldFsync();
            slot.committer.beforeFsync = held;
            CompletableFuture<dev.cairn.store.Results.AppendResult> append;
            CompletableFuture<List<ChangeRecord>> replicaRead;
            CompletableFuture<ChangeLog.Batch> channelRead;
            try {
                append = CompletableFuture.supplyAsync(() -> u.append("INBOX", List.of(msg(mail(1)))), Thread::startVirtualThread);
                assertThat(held.reached.await(10, TimeUnit.SECONDS)).isTrue();
                slot.committer.beforeFsync = null;
                // The group is written: its change record is in the database, one fsync early.
                assertThat(slot.get(slot.changelog, Keys.change(channel, slot.userId("alice"), seq + 1))).isNotNull();
                replicaRead = CompletableFuture.supplyAsync(() -> slot.changeLog().read("alice", seq + 1, 10), Thread::startVirtualThread);
                channelRead = CompletableFuture.supplyAsync(() -> slot.changeLog().readChannel(channel, null, 100), Thread::startVirtualThread);
                Thread.sleep(300); // time enough for either read to return early
                assertThat(append).isNotDone();
                assertThat(replicaRead).isNotDone();
                assertThat(channelRead).isNotDone();
                assertThat(slot.replication().seq("alice")).isEqualTo(seq); // published only when durable
            } finally {
                slot.committer.beforeFsync = null;
                held.release.countDown(); // else the slot could not close
            }
            assertThat(append.get(10, TimeUnit.SECONDS).uids()).containsExactly(Uid.of(1));
            assertThat(replicaRead.get(10, TimeUnit.SECONDS)).extracting(ChangeRecord::seq).containsExactly(seq + 1);
            assertThat(channelRead.get(10, TimeUnit.SECONDS).records()).extracting(ChangeRecord::seq).contains(seq + 1);
            assertThat(meters.counter("cairn.store.fsyncs").count()).isGreaterThanOrEqualTo(1);
        }
    }

    /** After a failed fsync the WAL's state is unknown: the group fails and so does every later write. */
    @Test void failedFsyncFailsItsGroupAndRefusesLaterWritesUntilReopened() throws Exception {
        long lastUid;
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withSync(true))) {
            UserStore u = slot.openOrCreateUser("alice");
            u.append("INBOX", List.of(msg(mail(1))));
            slot.committer.beforeFsync = () -> { throw new IllegalStateException("Input/output error"); };
            assertThatThrownBy(() -> u.append("INBOX", List.of(msg(mail(2)))))
                    .isInstanceOf(StoreException.class).extracting(e -> ((StoreException) e).reason())
                    .isEqualTo(StoreException.Reason.UNAVAILABLE);
            slot.committer.beforeFsync = null;
            assertThatThrownBy(() -> u.append("INBOX", List.of(msg(mail(3)))))
                    .isInstanceOf(StoreException.class).hasMessageContaining("fsync failed");
            assertThatThrownBy(() -> slot.changeLog().read("alice", 1, 10)).isInstanceOf(StoreException.class);
            lastUid = u.mailbox("INBOX").orElseThrow().uidNext() - 1;
        }
        // Reopened, RocksDB recovers what the WAL holds (here the failed append too: its write
        // reached the file, only the fsync failed, an outcome the client could not know).
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withSync(true))) {
            assertThat(slot.check(null, false).problems()).isEmpty();
            UserStore u = slot.openOrCreateUser("alice");
            var r = u.append("INBOX", List.of(msg(mail(4))));
            assertThat(r.uids().getFirst().value()).isGreaterThan(Math.max(2, lastUid));
        }
    }
}
