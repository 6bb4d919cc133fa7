// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static dev.cairn.store.rocks.SlotStoreTest.mail;
import static dev.cairn.store.rocks.SlotStoreTest.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.NewMessage;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.ChangeRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;

/** Every refusal leaves the store exactly as it was: mailboxes, quota, change log, view. */
class RefusalTest {
    @TempDir Path dir;

    record State(List<MailboxInfo> mailboxes, long seq, List<ChangeRecord> log, long quota, int viewSize) {}

    static State state(RocksSlotStore slot, UserStore u) {
        var inbox = u.mailbox("INBOX").orElseThrow();
        return new State(u.mailboxes(), u.highestModSeq(), slot.changeLog().read(u.user(), 0, 10_000),
                u.quota().storageUsed(), u.view(inbox.id()).snapshot().size());
    }

    static void refused(RocksSlotStore slot, UserStore u, Reason reason, Executable op) {
        State before = state(slot, u);
        StoreException e = org.junit.jupiter.api.Assertions.assertThrows(StoreException.class, op);
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(state(slot, u)).isEqualTo(before);
    }

    @Test void limitsAndBadInput() {
        SlotConfig config = SlotConfig.defaults(dir).withSync(false).withMaxMessageSize(1000)
                .withQuota(user -> new QuotaPolicy.Limits(2500, 4));
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(config)) {
            UserStore u = slot.openOrCreateUser("alice");
            var inbox = u.mailbox("INBOX").orElseThrow().id();
            byte[] limit = new byte[1000];
            java.util.Arrays.fill(limit, (byte) 'a');
            u.append("INBOX", List.of(new NewMessage(BodySource.of(limit), Flags.NONE, Instant.now()))); // at the limit: fine
            byte[] over = new byte[1001];
            refused(slot, u, Reason.TOO_BIG, () -> u.append("INBOX", List.of(new NewMessage(BodySource.of(over), Flags.NONE, Instant.now()))));
            // A source that lies about its size is caught while reading.
            BodySource liar = new BodySource() {
                @Override public long size() { return 10; }
                @Override public InputStream open() { return new java.io.ByteArrayInputStream(over); }
            };
            refused(slot, u, Reason.TOO_BIG, () -> u.append("INBOX", List.of(new NewMessage(liar, Flags.NONE, Instant.now()))));
            u.append("INBOX", List.of(new NewMessage(BodySource.of(java.util.Arrays.copyOf(limit, 999)), Flags.NONE, Instant.now())));
            // 1999 used of 2500: 502 more is over, 501 fits.
            refused(slot, u, Reason.OVER_QUOTA, () -> u.append("INBOX", List.of(new NewMessage(BodySource.of(new byte[502]), Flags.NONE, Instant.now()))));
            refused(slot, u, Reason.OVER_QUOTA, () -> u.copy(inbox, List.of(Uid.of(1)), "Archive"));
            // All or none: the second message of a MULTIAPPEND fails, the first is not kept.
            refused(slot, u, Reason.TOO_BIG, () -> u.append("INBOX", List.of(msg(mail(1)), new NewMessage(BodySource.of(over), Flags.NONE, Instant.now()))));
            u.append("INBOX", List.of(new NewMessage(BodySource.of(new byte[501]), Flags.NONE, Instant.now())));
            assertThat(u.quota().storageUsed()).isEqualTo(2500);
            refused(slot, u, Reason.OVER_QUOTA, () -> u.append("INBOX", List.of(msg("x"))));
            // A move does not grow the user: allowed at full quota.
            u.move(inbox, List.of(Uid.of(1)), "Archive");

            refused(slot, u, Reason.INVALID_NAME, () -> u.createMailbox("a/../b", Set.of()));
            refused(slot, u, Reason.INVALID_NAME, () -> u.createMailbox("a\u0000", Set.of()));
            refused(slot, u, Reason.INVALID_NAME, () -> u.renameMailbox("Sent", "x".repeat(1001)));
            refused(slot, u, Reason.INVALID_NAME, () -> u.subscribe("bad\uD800"));
            refused(slot, u, Reason.NONEXISTENT, () -> u.deleteMailbox("Nope"));
            refused(slot, u, Reason.NONEXISTENT, () -> u.setAcl("Nope", "bob", "lr"));
            refused(slot, u, Reason.INVALID_ARGUMENT, () -> u.setAcl("INBOX", "bob", "L R"));
            refused(slot, u, Reason.CANNOT, () -> u.renameMailbox("Sent", "Sent/child"));
            refused(slot, u, Reason.CANNOT, () -> u.deleteMailbox("inbox"));
            refused(slot, u, Reason.NONEXISTENT, () -> u.expunge(new dev.cairn.store.MailboxId("Fnope"), List.of(Uid.of(1))));
            assertThatThrownBy(() -> slot.user("nobody")).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.NO_SUCH_USER);
            assertThatThrownBy(() -> slot.deleteUser("nobody")).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.NO_SUCH_USER);
            assertThatThrownBy(() -> slot.check("nobody", false)).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.NO_SUCH_USER);
            assertThatThrownBy(() -> slot.openOrCreateUser("bad user")).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.INVALID_ARGUMENT);
            assertThat(slot.users()).containsExactly("alice");
            assertThat(slot.check(null, false).problems()).isEmpty();
        }
    }

    @Test void keywordTableLimit() {
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.openOrCreateUser("alice");
            for (int i = 0; i < MailboxMeta.MAX_KEYWORDS; i++) u.append("INBOX", List.of(msg(mail(i), Flags.of("k" + i))));
            refused(slot, u, Reason.INVALID_ARGUMENT, () -> u.append("INBOX", List.of(msg(mail(99), Flags.of("one-too-many")))));
            u.append("INBOX", List.of(msg(mail(100), Flags.of("K0", "k58")))); // known keywords, any case
        }
    }

    /** A failing write (disk full, I/O error) answers UNAVAILABLE and memory stays with the disk. */
    @Test void failedCommitIsUnavailableAndChangesNothing() throws IOException {
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.openOrCreateUser("alice");
            u.append("INBOX", List.of(msg(mail(1))));
            slot.committer.injectedFailure = new RocksDBException("No space left on device");
            refused(slot, u, Reason.UNAVAILABLE, () -> u.append("INBOX", List.of(msg(mail(2)))));
            refused(slot, u, Reason.UNAVAILABLE, () -> u.createMailbox("New", Set.of()));
            slot.committer.injectedFailure = null;
            var r = u.append("INBOX", List.of(msg(mail(2))));
            assertThat(r.uids()).containsExactly(Uid.of(2));
            assertThat(slot.check(null, false).problems()).isEmpty();
        }
    }
}
