// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.BodySource;
import dev.cairn.store.DefaultFolder;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.MailboxView;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.NewMessage;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.SpecialUse;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SlotStoreTest {
    @TempDir Path dir;
    SlotStore slot;

    @BeforeEach void open() { slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false)); }

    @AfterEach void close() { slot.close(); }

    static NewMessage msg(String text) {
        return new NewMessage(BodySource.of(text.getBytes(StandardCharsets.UTF_8)), Flags.NONE, Instant.parse("2026-01-02T03:04:05Z"));
    }

    static NewMessage msg(String text, Flags flags) {
        return new NewMessage(BodySource.of(text.getBytes(StandardCharsets.UTF_8)), flags, Instant.parse("2026-01-02T03:04:05Z"));
    }

    static String mail(int n) {
        return "From: A <a@example.com>\r\nTo: b@example.com\r\nSubject: test " + n + "\r\nMessage-ID: <m" + n
                + "@example.com>\r\n\r\nbody " + n + "\r\n";
    }

    @Test void newUserHasDefaultFoldersSubscribed() {
        UserStore u = slot.openOrCreateUser("alice");
        assertThat(u.mailboxes()).extracting(MailboxInfo::name)
                .containsExactly("Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash");
        assertThat(u.mailbox("Sent").orElseThrow().specialUse()).containsExactly(SpecialUse.SENT);
        assertThat(u.subscriptions()).containsExactlyInAnyOrder("INBOX", "Drafts", "Sent", "Junk", "Trash", "Archive");
        assertThat(slot.users()).containsExactly("alice");
        assertThat(slot.hasUser("bob")).isFalse();
        assertThatThrownBy(() -> slot.user("bob")).isInstanceOf(StoreException.class)
                .extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.NO_SUCH_USER);
    }

    @Test void aNewUserGetsTheConfiguredDefaultFoldersAfterInbox() {
        slot.close();
        slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false).withDefaultFolders(List.of(
                new DefaultFolder("Sent Items", Set.of(SpecialUse.SENT)), new DefaultFolder("Lists/Work", Set.of()))));
        UserStore u = slot.openOrCreateUser("alice");
        assertThat(u.mailboxes()).extracting(MailboxInfo::name).containsExactly("INBOX", "Lists", "Lists/Work", "Sent Items");
        assertThat(u.mailbox("Sent Items").orElseThrow().specialUse()).containsExactly(SpecialUse.SENT);
        assertThat(u.subscriptions()).containsExactlyInAnyOrder("INBOX", "Sent Items", "Lists/Work");
    }

    @Test void aDefaultFolderThatIsNoMailboxNameStopsTheSlotFromOpeningAndNamesIt() {
        slot.close();
        SlotConfig bad = SlotConfig.defaults(dir).withSync(false).withDefaultFolders(List.of(new DefaultFolder("Lists/", Set.of())));
        assertThatThrownBy(() -> RocksSlotStore.open(bad)).isInstanceOf(StoreException.class)
                .hasMessageContaining("default folder").hasMessageContaining("Lists/")
                .extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.INVALID_NAME);
        // Refused before the database was opened: the slot opens at once with a good list.
        slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false));
        assertThat(slot.openOrCreateUser("alice").mailboxes()).hasSize(6);
    }

    @Test void appendReadFlagsExpunge() throws Exception {
        UserStore u = slot.openOrCreateUser("alice");
        AppendResult r = u.append("inbox", List.of(msg(mail(1)), msg(mail(2), Flags.of("\\Seen", "$Work"))));
        assertThat(r.uids()).containsExactly(Uid.of(1), Uid.of(2));
        MailboxInfo inbox = u.mailbox("INBOX").orElseThrow();
        assertThat(inbox.messages()).isEqualTo(2);
        assertThat(inbox.unseen()).isEqualTo(1);
        assertThat(inbox.uidNext()).isEqualTo(3);
        assertThat(inbox.highestModSeq()).isEqualTo(r.modSeq().value());
        assertThat(inbox.size()).isEqualTo(mail(1).length() + mail(2).length());

        MessageRecord m2 = u.message(inbox.id(), Uid.of(2)).orElseThrow();
        assertThat(m2.flags()).isEqualTo(Flags.of("\\Seen", "$work"));
        assertThat(m2.size()).isEqualTo(mail(2).length());
        try (var in = u.openBody(m2.body())) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(mail(2));
        }
        assertThat(u.parsed(m2.body()).envelope().subject()).isEqualTo("test 2");

        var sr = u.storeFlags(inbox.id(), List.of(Uid.of(1), Uid.of(2), Uid.of(9)), FlagOp.ADD, Flags.of("\\Seen"), OptionalLong.empty());
        assertThat(sr.updated()).hasSize(1);
        assertThat(sr.updated().getFirst().uid()).isEqualTo(Uid.of(1));
        assertThat(u.mailbox(inbox.id()).orElseThrow().unseen()).isZero();
        long before = u.highestModSeq();
        var ex = u.expunge(inbox.id(), List.of(Uid.of(2), Uid.of(7)));
        assertThat(ex.expunged()).containsExactly(Uid.of(2));
        assertThat(ex.modSeq().value()).isEqualTo(before + 1);
        assertThat(u.expungedSince(inbox.id(), before)).extracting(t -> t.uid().value()).containsExactly(2L);
        assertThat(u.message(inbox.id(), Uid.of(2))).isEmpty();
        // UIDNEXT does not go down when the highest message goes, and the next UID is new.
        assertThat(u.append("INBOX", List.of(msg(mail(3)))).uids()).containsExactly(Uid.of(3));
        assertThat(u.quota().messagesUsed()).isEqualTo(2);
    }

    @Test void uidsAndModSeqSurviveRestart() {
        UserStore u = slot.openOrCreateUser("alice");
        var id = u.mailbox("INBOX").orElseThrow().id();
        u.append("INBOX", List.of(msg(mail(1)), msg(mail(2))));
        u.expunge(id, List.of(Uid.of(2)));
        long hms = u.highestModSeq();
        slot.close();
        slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false));
        u = slot.user("alice");
        assertThat(u.highestModSeq()).isEqualTo(hms);
        assertThat(u.mailbox(id).orElseThrow().uidNext()).isEqualTo(3);
        assertThat(u.append("INBOX", List.of(msg(mail(3)))).uids()).containsExactly(Uid.of(3));
        assertThat(slot.check(null, false).problems()).isEmpty();
    }

    @Test void viewsSeeEveryChangeOnceInOrder() {
        UserStore u = slot.openOrCreateUser("alice");
        var id = u.mailbox("INBOX").orElseThrow().id();
        u.append("INBOX", List.of(msg(mail(1))));
        MailboxView view = u.view(id);
        assertThat(u.view(id)).isSameAs(view);
        List<MailboxChange> seen = new ArrayList<>();
        MailboxView.Attachment a = view.attach(seen::add);
        assertThat(a.snapshot().size()).isEqualTo(1);
        u.append("INBOX", List.of(msg(mail(2)), msg(mail(3))));
        u.storeFlags(id, List.of(Uid.of(2)), FlagOp.ADD, Flags.of("\\Flagged", "foo"), OptionalLong.empty());
        u.expunge(id, List.of(Uid.of(1)));
        MailboxSnapshot s = view.snapshot();
        assertThat(s.size()).isEqualTo(2);
        assertThat(s.uid(0)).isEqualTo(Uid.of(2));
        assertThat(s.flags(0)).isEqualTo(Flags.of("\\Flagged", "foo"));
        assertThat(s.indexOf(Uid.of(3))).isEqualTo(1);
        assertThat(s.indexOf(Uid.of(1))).isEqualTo(-1);
        assertThat(s.info().highestModSeq()).isEqualTo(u.highestModSeq());
        assertThat(seen).hasSize(3);
        assertThat(seen.get(0)).isInstanceOf(MailboxChange.Appended.class);
        assertThat(seen.get(1)).isInstanceOf(MailboxChange.FlagsChanged.class);
        assertThat(seen.get(2)).isInstanceOf(MailboxChange.Expunged.class);
        assertThat(seen).extracting(MailboxChange::highestModSeq).isSorted();
        assertThat(a.snapshot().size()).isEqualTo(1); // the starting snapshot is immutable
        a.close();
        u.append("INBOX", List.of(msg(mail(4))));
        assertThat(seen).hasSize(3);
    }

    @Test void mailboxCreateRenameDelete() {
        UserStore u = slot.openOrCreateUser("alice");
        MailboxInfo a = u.createMailbox("a/b/c", Set.of());
        assertThat(u.mailbox("a")).isPresent();
        assertThat(u.mailbox("a/b")).isPresent();
        assertThatThrownBy(() -> u.createMailbox("a/b", Set.of())).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.ALREADY_EXISTS);
        u.append("a/b/c", List.of(msg(mail(1))));
        u.renameMailbox("a", "x/y");
        MailboxInfo moved = u.mailbox("x/y/b/c").orElseThrow();
        assertThat(moved.id()).isEqualTo(a.id());
        assertThat(moved.uidValidity()).isEqualTo(a.uidValidity());
        assertThat(moved.messages()).isEqualTo(1);
        assertThat(u.mailbox("a")).isEmpty();
        assertThat(u.mailbox("x")).isPresent();
        u.deleteMailbox("x/y/b/c");
        assertThat(u.mailbox("x/y/b/c")).isEmpty();
        assertThat(u.quota().messagesUsed()).isZero();
        MailboxInfo again = u.createMailbox("x/y/b/c", Set.of());
        assertThat(again.uidValidity()).isGreaterThan(a.uidValidity());
        assertThat(again.id()).isNotEqualTo(a.id());
        assertThatThrownBy(() -> u.deleteMailbox("INBOX")).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.CANNOT);
        assertThat(slot.check(null, false).problems()).isEmpty();
    }

    @Test void renameInboxMovesMessages() {
        UserStore u = slot.openOrCreateUser("alice");
        MailboxInfo inbox = u.mailbox("INBOX").orElseThrow();
        u.append("INBOX", List.of(msg(mail(1)), msg(mail(2))));
        u.renameMailbox("INBOX", "Old");
        assertThat(u.mailbox("INBOX").orElseThrow().messages()).isZero();
        assertThat(u.mailbox("INBOX").orElseThrow().id()).isEqualTo(inbox.id());
        assertThat(u.mailbox("Old").orElseThrow().messages()).isEqualTo(2);
        assertThat(u.mailbox("INBOX").orElseThrow().uidNext()).isEqualTo(3);
        assertThat(slot.check(null, false).problems()).isEmpty();
    }

    @Test void copyMoveShareBodies() {
        UserStore u = slot.openOrCreateUser("alice");
        UserStore b = slot.openOrCreateUser("bob");
        var inbox = u.mailbox("INBOX").orElseThrow().id();
        u.append("INBOX", List.of(msg(mail(1)), msg(mail(2))));
        b.append("INBOX", List.of(msg(mail(1))));
        var c = u.copy(inbox, List.of(Uid.of(1), Uid.of(2), Uid.of(5)), "Archive");
        assertThat(c.sourceUids()).containsExactly(Uid.of(1), Uid.of(2));
        assertThat(c.destinationUids()).containsExactly(Uid.of(1), Uid.of(2));
        var m = u.move(inbox, List.of(Uid.of(1)), "Trash");
        assertThat(m.destinationUids()).containsExactly(Uid.of(1));
        assertThat(u.mailbox("INBOX").orElseThrow().messages()).isEqualTo(1);
        assertThat(u.quota().messagesUsed()).isEqualTo(4);
        assertThat(slot.check(null, false).problems()).isEmpty();
        slot.deleteUser("alice");
        assertThat(slot.hasUser("alice")).isFalse();
        assertThat(slot.check(null, false).problems()).isEmpty();
        assertThat(b.mailbox("INBOX").orElseThrow().messages()).isEqualTo(1);
    }

    @Test void refusalsChangeNothing() {
        SlotStore small = slot;
        UserStore u = small.openOrCreateUser("alice");
        u.append("INBOX", List.of(msg(mail(1))));
        var log = small.changeLog();
        long seq = u.highestModSeq();
        List<MailboxInfo> before = u.mailboxes();
        for (String bad : List.of("a/../b", "..", "a\u0000b", "/a", "a/", "a//b", "x".repeat(1001), "a\uD800b", "bad\uFFFD",
                "a\u0007", "", "a/".repeat(33) + "a")) {
            assertThatThrownBy(() -> u.createMailbox(bad, Set.of()), bad)
                    .extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.INVALID_NAME);
            assertThatThrownBy(() -> u.append(bad, List.of(msg(mail(2)))))
                    .extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.INVALID_NAME);
        }
        u.createMailbox("x".repeat(1000), Set.of()); // the limit itself is fine
        seq = u.highestModSeq();
        before = u.mailboxes();
        assertThatThrownBy(() -> u.append("Nope", List.of(msg(mail(2))))).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.NONEXISTENT);
        assertThatThrownBy(() -> u.renameMailbox("Nope", "x")).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.NONEXISTENT);
        assertThatThrownBy(() -> u.renameMailbox("Sent", "Trash")).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.ALREADY_EXISTS);
        assertThat(u.highestModSeq()).isEqualTo(seq);
        assertThat(u.mailboxes()).isEqualTo(before);
        assertThat(log.read("alice", 0, 1000)).last().extracting(r -> r.seq()).isEqualTo(seq);
    }

    @Test void threadIdsFollowReferences() {
        UserStore u = slot.openOrCreateUser("alice");
        var id = u.mailbox("INBOX").orElseThrow().id();
        u.append("INBOX", List.of(msg("Message-ID: <root@x>\r\nSubject: a\r\n\r\nroot\r\n"),
                msg("Message-ID: <reply@x>\r\nIn-Reply-To: <root@x>\r\n\r\nreply\r\n"),
                msg("Message-ID: <other@x>\r\n\r\nother\r\n")));
        u.append("Sent", List.of(msg("Message-ID: <r2@x>\r\nReferences: <unknown@x> <reply@x>\r\n\r\nr2\r\n")));
        var m = u.messages(id, List.of(Uid.of(1), Uid.of(2), Uid.of(3)));
        String sent = u.message(u.mailbox("Sent").orElseThrow().id(), Uid.of(1)).orElseThrow().threadId();
        assertThat(m.get(1).threadId()).isEqualTo(m.get(0).threadId());
        assertThat(sent).isEqualTo(m.get(0).threadId());
        assertThat(m.get(2).threadId()).isNotEqualTo(m.get(0).threadId());
        assertThat(m.get(0).threadId()).matches("[A-Za-z0-9_-]+");
        // A copy keeps its thread; the same content gets the same EMAILID.
        var c = u.copy(id, List.of(Uid.of(2)), "Archive");
        var copy = u.message(c.destination(), c.destinationUids().getFirst()).orElseThrow();
        assertThat(copy.threadId()).isEqualTo(m.get(1).threadId());
        assertThat(copy.emailId()).isEqualTo(m.get(1).emailId());
    }

    /** The thread table reads a Message-ID as MessageIds does: the id inside the brackets, case kept. */
    @Test void aMessageIdWithACommentIsTheIdItsRepliesNameButCaseMatters() {
        UserStore u = slot.openOrCreateUser("alice");
        var id = u.mailbox("INBOX").orElseThrow().id();
        u.append("INBOX", List.of(msg("Message-ID: <root@x> (sent by a gateway)\r\n\r\nroot\r\n"),
                msg("Message-ID: <reply@x>\r\nIn-Reply-To: <root@x>\r\n\r\nreply\r\n"),
                msg("Message-ID:\r\n <Upper@X>\r\n\r\nupper\r\n"),
                msg("Message-ID: <lower@x>\r\nReferences: <upper@x>\r\n\r\nlower\r\n"),
                msg("Message-ID: <same@x>\r\nReferences: <Upper@X>\r\n\r\nsame\r\n")));
        var m = u.messages(id, List.of(Uid.of(1), Uid.of(2), Uid.of(3), Uid.of(4), Uid.of(5)));
        assertThat(m.get(1).threadId()).isEqualTo(m.get(0).threadId());
        assertThat(m.get(3).threadId()).isNotEqualTo(m.get(2).threadId());
        assertThat(m.get(4).threadId()).isEqualTo(m.get(2).threadId());
    }

    @Test void deleteLeavesChildrenAndRenameInboxIntoItsOwnChild() {
        UserStore u = slot.openOrCreateUser("alice");
        u.createMailbox("p/c", Set.of());
        u.deleteMailbox("p");
        assertThat(u.mailbox("p")).isEmpty();
        assertThat(u.mailbox("p/c")).isPresent();
        u.append("INBOX", List.of(msg(mail(1))));
        u.renameMailbox("INBOX", "INBOX/old");
        assertThat(u.mailbox("INBOX/old").orElseThrow().messages()).isEqualTo(1);
        assertThat(u.mailbox("INBOX").orElseThrow().messages()).isZero();
        assertThatThrownBy(() -> u.renameMailbox("p", "p/c/d")).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.NONEXISTENT);
        assertThatThrownBy(() -> u.renameMailbox("p/c", "p/c/d")).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.CANNOT);
        assertThat(slot.check(null, false).problems()).isEmpty();
    }

    @Test void largeBodyIsStreamedWholeAndGoesWithItsLastReference() throws Exception {
        UserStore u = slot.openOrCreateUser("alice");
        byte[] big = new byte[3 * BodyStore.CHUNK + 12345];
        new java.util.Random(7).nextBytes(big);
        byte[] header = "Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(header, 0, big, 0, header.length);
        var r = u.append("INBOX", List.of(new NewMessage(BodySource.of(big), Flags.NONE, Instant.now())));
        var m = u.message(r.mailbox(), r.uids().getFirst()).orElseThrow();
        assertThat(m.size()).isEqualTo(big.length);
        try (var in = u.openBody(m.body())) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[7777];
            int n;
            while ((n = in.read(buf)) > 0) out.write(buf, 0, n);
            assertThat(out.toByteArray()).isEqualTo(big);
        }
        // Expunging the last reference removes the body's location (its bytes are segment garbage).
        u.expunge(r.mailbox(), r.uids());
        RocksSlotStore rocks = (RocksSlotStore) slot;
        List<byte[]> left = new ArrayList<>();
        rocks.scan(rocks.bodies, new byte[0], (k, v) -> left.add(k));
        assertThat(left).isEmpty();
        assertThatThrownBy(() -> u.openBody(m.body())).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.NONEXISTENT);
    }

    @Test void aBodyReadWholeIsTheSameWhateverItsSizeAgainstTheChunkAndWhateverWasReadBefore() throws Exception {
        UserStore u = slot.openOrCreateUser("alice");
        for (int size : new int[] {1, 2, BodyStore.CHUNK - 1, BodyStore.CHUNK, BodyStore.CHUNK + 1, 2 * BodyStore.CHUNK + 5}) {
            byte[] body = new byte[size];
            new java.util.Random(size).nextBytes(body);
            var r = u.append("INBOX", List.of(new NewMessage(BodySource.of(body), Flags.NONE, Instant.now())));
            var m = u.message(r.mailbox(), r.uids().getFirst()).orElseThrow();
            try (var in = u.openBody(m.body())) {
                assertThat(in.readAllBytes()).as("%d octets at once", size).isEqualTo(body);
                assertThat(in.read()).as("then the end").isEqualTo(-1);
                assertThat(in.readAllBytes()).isEmpty();
            }
            if (size < 3) continue;
            try (var in = u.openBody(m.body())) {
                byte[] first = in.readNBytes(2);
                byte[] rest = in.readAllBytes();
                assertThat(first).isEqualTo(java.util.Arrays.copyOf(body, 2));
                assertThat(rest).as("%d octets after 2", size).isEqualTo(java.util.Arrays.copyOfRange(body, 2, size));
            }
            var closed = u.openBody(m.body());
            closed.close();
            assertThatThrownBy(closed::readAllBytes).isInstanceOf(java.io.IOException.class);
        }
    }

    @Test void unchangedSinceReportsModifiedAndTouched() {
        UserStore u = slot.openOrCreateUser("alice");
        var id = u.mailbox("INBOX").orElseThrow().id();
        u.append("INBOX", List.of(msg(mail(1)), msg(mail(2), Flags.of("\\Seen"))));
        long appendSeq = u.highestModSeq();
        u.storeFlags(id, List.of(Uid.of(1)), FlagOp.ADD, Flags.of("\\Flagged"), OptionalLong.empty());
        var r = u.storeFlags(id, List.of(Uid.of(1), Uid.of(2)), FlagOp.ADD, Flags.of("\\Seen"), OptionalLong.of(appendSeq));
        assertThat(r.modified()).containsExactly(Uid.of(1));
        // UID 2 already had \Seen: reported (RFC 7162 §3.2) with its unchanged MODSEQ, no new commit.
        assertThat(r.updated()).hasSize(1);
        assertThat(r.updated().getFirst().modSeq().value()).isEqualTo(appendSeq);
        assertThat(u.highestModSeq()).isEqualTo(appendSeq + 1);
        var replace = u.storeFlags(id, List.of(Uid.of(1)), FlagOp.REPLACE, Flags.of("$a"), OptionalLong.empty());
        assertThat(replace.updated().getFirst().flags()).isEqualTo(Flags.of("$A"));
        assertThat(u.mailbox(id).orElseThrow().unseen()).isEqualTo(1);
    }

    @Test void closedSlotRefusesCleanly() throws Exception {
        UserStore u = slot.openOrCreateUser("alice");
        byte[] big = new byte[2 * BodyStore.CHUNK + 10];
        var r = u.append("INBOX", List.of(new NewMessage(BodySource.of(big), Flags.NONE, Instant.now())));
        var body = u.message(r.mailbox(), r.uids().getFirst()).orElseThrow().body();
        var in = u.openBody(body);
        assertThat(in.readNBytes(BodyStore.CHUNK)).hasSize(BodyStore.CHUNK);
        slot.close();
        // The next read would need the closed slot's segment file: an I/O error, not a crash.
        assertThatThrownBy(in::read).isInstanceOf(java.io.IOException.class);
        in.close();
        assertThatThrownBy(() -> u.append("INBOX", List.of(msg(mail(1))))).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.UNAVAILABLE);
        assertThatThrownBy(() -> slot.user("alice")).extracting(e -> ((StoreException) e).reason()).isEqualTo(Reason.UNAVAILABLE);
        slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false)); // for @AfterEach
    }
}
