// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.BodyId;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.NewMessage;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.CommitHook;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica promoted while it applies a new user's first record: the replica commits the user bare
 * first (no mailbox, seq 0) and then the master's first record (INBOX, the default folders). A
 * promotion that came between the two used to jump the bare user past the window, and the first
 * record then read as applied already: the new master had the user without INBOX, and every
 * delivery to it failed (seen once in CI, LmtpRcptOnReplicaIT). The promotion must wait for the
 * record and jump the whole user.
 */
class BareUserPromotionTest {
    @TempDir Path dir;

    private RocksSlotStore open(String name) {
        return (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir.resolve(name)).withSync(false));
    }

    /** What a master ships: its records and their bodies. */
    private static final class Shipped implements CommitHook {
        final List<ChangeRecord> records = new ArrayList<>();
        final Map<BodyId, byte[]> bodies = new ConcurrentHashMap<>();

        @Override public void beforeCommit(String user, long seq, Map<MailboxId, Long> highestUids) {}

        @Override public synchronized void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, byte[]> shipped) {
            records.add(record);
            bodies.putAll(shipped);
        }

        @Override public void awaitReplicated(String user, long seq) {}
    }

    @Test void aPromotionBetweenTheBareUserAndItsFirstRecordWaitsForTheRecordAndJumpsTheWholeUser() throws Exception {
        long window = 1000;
        try (RocksSlotStore master = open("master"); RocksSlotStore replica = open("replica")) {
            Shipped shipped = new Shipped();
            master.replication().setHook(shipped);
            master.openOrCreateUser("alice").append("INBOX", List.of(new NewMessage(
                    BodySource.of("Subject: one\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8)), Flags.NONE,
                    OffsetDateTime.parse("2026-01-02T03:04:05Z"))));

            AtomicReference<Thread> promotion = new AtomicReference<>();
            RocksSlotReplication replication = (RocksSlotReplication) replica.replication();
            replication.applier.afterBareUser = () -> {
                Thread t = Thread.ofPlatform().start(() -> replica.replication().promote(1, window));
                promotion.set(t);
                try {
                    t.join(500); // the promotion gets as far as it can before the record is applied
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            // The first record alone: the append after it would race the promotion too (a record queued
            // before a promotion and applied after it; cairn-replication/README.md, Not done yet).
            replica.replication().applyAll("alice", List.of(shipped.records.getFirst()), shipped.bodies::get);
            promotion.get().join(10_000);
            assertThat(promotion.get().isAlive()).isFalse();

            MailboxInfo inbox = replica.user("alice").mailbox("INBOX").orElseThrow(() -> new AssertionError("alice has no INBOX on the new master"));
            assertThat(replica.user("alice").mailbox("Archive")).as("the default folders of the first record").isPresent();
            assertThat(inbox.uidNext()).as("past the window").isGreaterThan(window);
            assertThat(replica.check(null, false).problems()).isEmpty();
        }
    }
}
