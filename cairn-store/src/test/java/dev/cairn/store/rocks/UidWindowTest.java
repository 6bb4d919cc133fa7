// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.BodyId;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.NewMessage;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.CommitHook;
import dev.cairn.store.replication.Reservation;
import dev.cairn.store.replication.SlotReplication;
import dev.cairn.store.replication.UidWindowPassed;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's side of the degraded window: a commit its hook finds past the window gives the
 * mailbox a new UIDVALIDITY first (logged, replicated, told to open views) and is then built again
 * under it; a promotion moves UIDNEXT past reservation + window and MODSEQ past reservation + 2^32,
 * for users without a reservation too.
 */
class UidWindowTest {
    @TempDir Path dir;

    private RocksSlotStore open(String name) {
        return (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir.resolve(name)).withSync(false));
    }

    private static NewMessage mail(String subject) {
        String text = "From: a@example.org\r\nSubject: " + subject + "\r\n\r\nbody\r\n";
        return new NewMessage(BodySource.of(text.getBytes(StandardCharsets.UTF_8)), Flags.NONE, OffsetDateTime.parse("2026-01-02T03:04:05Z"));
    }

    /** A master's hook whose window ends at UID {@code limit} of a mailbox, until the mailbox got a new UIDVALIDITY. */
    private static final class WindowHook implements CommitHook {
        final long limit;
        final Set<MailboxId> renewed = ConcurrentHashMap.newKeySet();
        final List<ChangeRecord> records = new ArrayList<>();
        final Map<BodyId, byte[]> bodies = new ConcurrentHashMap<>();

        WindowHook(long limit) { this.limit = limit; }

        @Override public void beforeCommit(String user, long seq, Map<MailboxId, Long> highestUids) {
            Set<MailboxId> passed = new java.util.HashSet<>();
            highestUids.forEach((m, uid) -> { if (uid > limit && !renewed.contains(m)) passed.add(m); });
            if (!passed.isEmpty()) throw new UidWindowPassed(passed);
        }

        @Override public synchronized void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, byte[]> shipped) {
            records.add(record);
            bodies.putAll(shipped);
            for (Change c : record.changes()) if (c instanceof Change.UidValidityChanged v) renewed.add(v.mailbox());
        }

        @Override public void awaitReplicated(String user, long seq) {}
    }

    @Test void anAppendPastTheWindowIsAnsweredUnderANewUidValidityThatReplicatesAndEndsSelections() {
        try (RocksSlotStore a = open("a"); RocksSlotStore b = open("b")) {
            WindowHook hook = new WindowHook(3);
            a.replication().setHook(hook);
            UserStore alice = a.openOrCreateUser("alice");
            MailboxInfo inbox = alice.mailbox("INBOX").orElseThrow();
            List<MailboxChange> told = new ArrayList<>();
            var attached = alice.view(inbox.id()).attach(told::add);
            for (int i = 1; i <= 3; i++) {
                AppendResult r = alice.append("INBOX", List.of(mail("m" + i)));
                assertThat(r.uidValidity()).isEqualTo(inbox.uidValidity());
            }
            AppendResult fourth = alice.append("INBOX", List.of(mail("m4")));
            assertThat(fourth.uidValidity()).as("APPENDUID under the new UIDVALIDITY").isGreaterThan(inbox.uidValidity());
            assertThat(fourth.uids().getFirst().value()).isEqualTo(4);
            MailboxInfo now = alice.mailbox("INBOX").orElseThrow();
            assertThat(now.uidValidity()).isEqualTo(fourth.uidValidity());
            assertThat(now.messages()).as("the messages stay, with their UIDs").isEqualTo(4);
            assertThat(told).anyMatch(c -> c instanceof MailboxChange.UidValidityChanged v && v.uidValidity() == fourth.uidValidity());
            attached.close();
            // Logged in its own record before the append, and applied by a replica as it was.
            assertThat(hook.records.get(hook.records.size() - 2).changes())
                    .containsExactly(new Change.UidValidityChanged(inbox.id(), fourth.uidValidity()));
            b.replication().applyAll("alice", List.copyOf(hook.records), hook.bodies::get);
            assertThat(b.user("alice").mailbox("INBOX").orElseThrow()).isEqualTo(now);
            // The next appends stay under it.
            assertThat(alice.append("INBOX", List.of(mail("m5"))).uidValidity()).isEqualTo(fourth.uidValidity());
        }
    }

    @Test void aPromotionJumpsPastTheReservationPlusTheWindowForEveryUser() {
        long window = 1000;
        try (RocksSlotStore b = open("b")) {
            UserStore alice = b.openOrCreateUser("alice");
            UserStore bob = b.openOrCreateUser("bob");
            MailboxId inbox = alice.mailbox("INBOX").orElseThrow().id();
            alice.append("INBOX", List.of(mail("one")));
            b.replication().reserve("alice", new Reservation(100, Map.of(inbox, 50L), 20));
            assertThat(b.replication().promote(1, window)).isEqualTo(2);
            // alice: her reservation + the window; bob (nothing reserved here): the window alone.
            assertThat(alice.mailbox("INBOX").orElseThrow().uidNext()).isEqualTo(50 + window + 1);
            assertThat(alice.mailbox("Archive").orElseThrow().uidNext()).isEqualTo(20 + window + 1);
            assertThat(alice.highestModSeq()).isGreaterThan(100 + SlotReplication.MODSEQ_WINDOW);
            assertThat(bob.mailbox("INBOX").orElseThrow().uidNext()).isEqualTo(window + 1);
            assertThat(bob.highestModSeq()).isGreaterThan(SlotReplication.MODSEQ_WINDOW);
            AppendResult next = alice.append("INBOX", List.of(mail("two")));
            assertThat(next.uids().getFirst().value()).isEqualTo(50 + window + 1);
            assertThat(b.check(null, false).problems()).isEmpty();
        }
    }
}
