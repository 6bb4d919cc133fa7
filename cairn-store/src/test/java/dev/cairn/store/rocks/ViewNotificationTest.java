// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static dev.cairn.store.rocks.SlotStoreTest.mail;
import static dev.cairn.store.rocks.SlotStoreTest.msg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.Flags;
import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.MailboxView;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the views tell their listeners and what a reader of them sees (the ground of IMAP's change reports). */
class ViewNotificationTest {
    @TempDir Path dir;

    /**
     * While writers change flags, {@code latest()} is never behind nor ahead of what the listener
     * was given: every change up to its HIGHESTMODSEQ was given before it returned, none above it.
     */
    @Test @Timeout(120)
    void latestIsExactlyAsFarAsTheChangesItsListenerWasGiven() throws Exception {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.openOrCreateUser("alice");
            MailboxId inbox = u.mailbox("INBOX").orElseThrow().id();
            for (int i = 0; i < 3; i++) u.append("INBOX", List.of(msg(mail(i))));
            java.util.concurrent.atomic.AtomicLong given = new java.util.concurrent.atomic.AtomicLong();
            // a listener that takes a moment, as a view with many sessions does
            MailboxView.Attachment a = u.view(inbox).attach(change -> {
                for (long end = System.nanoTime() + 50_000; System.nanoTime() < end; ) Thread.onSpinWait();
                given.set(change.highestModSeq());
            });
            given.set(a.snapshot().info().highestModSeq()); // no writer yet: nothing given after the start
            ConcurrentLinkedQueue<String> broken = new ConcurrentLinkedQueue<>();
            AtomicBoolean done = new AtomicBoolean();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> writers = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    Random r = new Random(t);
                    writers.add(pool.submit(() -> {
                        for (int i = 0; i < 150; i++) {
                            u.storeFlags(inbox, List.of(Uid.of(1 + r.nextInt(3))), r.nextBoolean() ? FlagOp.ADD : FlagOp.REMOVE,
                                    Flags.of("\\Seen"), OptionalLong.empty());
                        }
                    }));
                }
                Future<?> reader = pool.submit(() -> {
                    while (!done.get()) {
                        long before = given.get();
                        long seen = a.latest().info().highestModSeq();
                        long after = given.get();
                        if (seen < before) broken.add("latest " + seen + " behind a change given before it: " + before);
                        if (seen > after) broken.add("latest " + seen + " ahead of the changes given: " + after);
                    }
                });
                for (Future<?> w : writers) w.get();
                done.set(true);
                reader.get();
            }
            assertThat(broken).isEmpty();
            assertThat(a.latest().info().highestModSeq()).isEqualTo(given.get());
            a.close();
        }
    }

    /** A MOVE into its own mailbox is given as the expunge, then the new copy (IMAP tells EXPUNGE before EXISTS). */
    @Test void aMoveWithinOneMailboxIsGivenExpungeFirst() {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.openOrCreateUser("alice");
            MailboxId inbox = u.mailbox("INBOX").orElseThrow().id();
            u.append("INBOX", List.of(msg(mail(1))));
            List<MailboxChange> seen = new ArrayList<>();
            MailboxView.Attachment a = u.view(inbox).attach(seen::add);
            long seq = u.move(inbox, List.of(Uid.of(1)), "INBOX").modSeq().value();
            assertThat(seen).hasSize(2);
            assertThat(seen.get(0)).isEqualTo(new MailboxChange.Expunged(List.of(Uid.of(1)), seq));
            assertThat(seen.get(1)).isInstanceOfSatisfying(MailboxChange.Appended.class,
                    ap -> assertThat(ap.messages()).extracting(m -> m.uid().value()).containsExactly(2L));
            assertThat(a.latest().size()).isEqualTo(1);
            a.close();
        }
    }

    /** The keywords a snapshot names are the mailbox's table: every keyword ever used, in first-use order. */
    @Test void aSnapshotNamesEveryKeywordEverUsedInTheMailbox() {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.openOrCreateUser("alice");
            MailboxId inbox = u.mailbox("INBOX").orElseThrow().id();
            u.append("INBOX", List.of(msg(mail(1))));
            MailboxView view = u.view(inbox);
            assertThat(view.snapshot().keywords()).isEmpty();
            u.storeFlags(inbox, List.of(Uid.of(1)), FlagOp.ADD, Flags.of("$b", "\\Seen"), OptionalLong.empty());
            u.storeFlags(inbox, List.of(Uid.of(1)), FlagOp.REPLACE, Flags.of("$a"), OptionalLong.empty());
            MailboxSnapshot s = view.snapshot();
            assertThat(s.keywords()).containsExactly("$b", "$a");
            assertThat(s.flags(0)).isEqualTo(Flags.of("$a"));
        }
    }

    /**
     * \Recent's mark: each UID is claimed once; the mark outlives the user's in-memory state and a
     * reopening of the slot; a new mailbox starts with nothing claimed.
     */
    @Test void aRecentClaimIsTakenOnceAndOutlivesTheUsersStateAndTheSlot() {
        MailboxId inbox;
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.openOrCreateUser("alice");
            inbox = u.mailbox("INBOX").orElseThrow().id();
            for (int i = 0; i < 3; i++) u.append("INBOX", List.of(msg(mail(i))));
            assertThat(u.firstUnclaimedRecent(inbox)).isEqualTo(1);
            assertThat(u.claimRecent(inbox, 3)).isEqualTo(1); // UIDs 1 and 2
            assertThat(u.claimRecent(inbox, 3)).isEqualTo(3); // nothing left below 3
            assertThat(u.claimRecent(inbox, 2)).isEqualTo(2); // nor below 2
            assertThat(((RocksSlotStore) slot).evictIdleUsers(0)).isEqualTo(1);
            assertThat(u.firstUnclaimedRecent(inbox)).isEqualTo(3);
            assertThat(u.claimRecent(inbox, 4)).isEqualTo(3);
        }
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.user("alice");
            assertThat(u.firstUnclaimedRecent(inbox)).isEqualTo(4);
            MailboxId other = u.createMailbox("Other", java.util.Set.of()).id();
            assertThat(u.firstUnclaimedRecent(other)).isEqualTo(1);
            u.append("Other", List.of(msg(mail(9))));
            assertThat(u.claimRecent(other, 2)).isEqualTo(1);
            u.deleteMailbox("Other");
            MailboxId again = u.createMailbox("Other", java.util.Set.of()).id();
            assertThat(u.firstUnclaimedRecent(again)).isEqualTo(1);
        }
    }
}
