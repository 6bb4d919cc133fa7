// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static dev.cairn.store.rocks.SlotStoreTest.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.BodyId;
import dev.cairn.store.MailboxId;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.CommitHook;
import dev.cairn.store.replication.Position;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A master's local commit that looked at the fence, then waited in its hook (for a reservation,
 * as a master frozen and resumed does) while the slot was fenced: it must write nothing, so that
 * the positions read once the fence is up (what the new master is told at the handshake) hold
 * every record of the slot. Found by MasterFrozenIT: a record committed after the positions were
 * read was never reconciled, and the new master's next records were applied over it.
 */
class FencedCommitTest {
    @TempDir Path dir;

    /** Holds each local commit in beforeCommit until released; counts what it is told afterwards. */
    private static final class HeldReservation implements CommitHook {
        final CountDownLatch waiting = new CountDownLatch(1), release = new CountDownLatch(1);
        final List<Long> committed = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> abandoned = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override public void beforeCommit(String user, long seq, Map<MailboxId, Long> highestUids) {
            waiting.countDown();
            try {
                if (!release.await(20, TimeUnit.SECONDS)) throw new AssertionError("never released");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        @Override public void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, byte[]> bodies) {
            committed.add(record.seq());
        }

        @Override public void abandoned(String user) { abandoned.add(user); }

        @Override public void awaitReplicated(String user, long seq) {}
    }

    @Test @Timeout(30)
    void aCommitWaitingForItsReservationWhenTheSlotIsFencedWritesNothingThePositionsMiss() throws Exception {
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir.resolve("n1")).withSync(false))) {
            UserStore alice = slot.openOrCreateUser("alice");
            alice.append("INBOX", List.of(msg("before the freeze\r\n")));
            HeldReservation hook = new HeldReservation();
            slot.replication().setHook(hook);
            CompletableFuture<?> append = CompletableFuture.runAsync(() -> alice.append("INBOX", List.of(msg("under way\r\n"))));
            assertThat(hook.waiting.await(10, TimeUnit.SECONDS)).as("the append reached its hook").isTrue();

            slot.replication().fence("store s1 moved to another master (epoch 2)");
            long told = slot.replication().positions(slot.channelOf("alice")).stream().filter(p -> p.user().equals("alice"))
                    .mapToLong(Position::seq).findFirst().orElseThrow();
            hook.release.countDown();

            assertThatThrownBy(append::join).as("the append that resumed after the fence").cause().isInstanceOf(StoreException.class)
                    .extracting(e -> ((StoreException) e).reason()).isEqualTo(StoreException.Reason.UNAVAILABLE);
            assertThat(slot.replication().seq("alice")).as("alice's seq against the position the new master was told").isEqualTo(told);
            assertThat(slot.changeLog().read("alice", told + 1, 10)).as("records after that position").isEmpty();
            // The replication side counts commits from beforeCommit to committed (a switchover, a user's hold waits for them).
            assertThat(hook.committed).as("commits handed on").isEmpty();
            assertThat(hook.abandoned).as("commits the hook let through that wrote nothing").containsExactly("alice");

            // Nothing of the refused commit is left held: the slot is fenced again at once, and takes writes once unfenced.
            slot.replication().unfence();
            alice.append("INBOX", List.of(msg("after the switch back\r\n")));
            assertThat(hook.committed).containsExactly(told + 1);
            slot.replication().fence("store s1 moved again (epoch 3)");
        }
    }
}
