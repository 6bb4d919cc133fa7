// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.replication.ReplicationConfig.Mode;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.NewMessage;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two nodes over loopback TCP: a master slot and a replica slot of one store. */
class ReplicationIT {
    @TempDir Path dir;

    static NewMessage message(String subject, String body) {
        return message(subject, body, OffsetDateTime.parse("2026-01-02T03:04:05Z"));
    }

    /** A message whose internal date is in the given zone: the replica keeps the zone (TwoNodes compares it). */
    static NewMessage message(String subject, String body, OffsetDateTime internalDate) {
        String text = "From: a@example.org\r\nTo: b@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject
                + "@example.org>\r\n\r\n" + body + "\r\n";
        return new NewMessage(BodySource.of(text.getBytes(StandardCharsets.UTF_8)), Flags.NONE, internalDate);
    }

    static void mixedWorkload(UserStore u, int n) {
        MailboxInfo work = u.createMailbox("Work/Projects", Set.of());
        List<Uid> inbox = new ArrayList<>();
        for (int i = 0; i < n; i++) inbox.addAll(u.append("INBOX", List.of(message("m" + i, "body " + i))).uids());
        u.append("Work/Projects", List.of(message("w1", "work", OffsetDateTime.parse("2007-03-25T23:30:00-05:00")),
                message("w2", "work 2", OffsetDateTime.parse("2007-03-25T00:30:00+02:00"))));
        MailboxInfo in = u.mailbox("INBOX").orElseThrow();
        u.storeFlags(in.id(), inbox.subList(0, n / 2), FlagOp.ADD, Flags.of("\\Seen", "$Important"), OptionalLong.empty());
        u.storeFlags(in.id(), inbox.subList(1, 2), FlagOp.REPLACE, Flags.of("\\Flagged"), OptionalLong.empty());
        u.copy(in.id(), inbox.subList(0, 3), "Work/Projects");
        u.move(in.id(), inbox.subList(3, 5), "Archive");
        u.storeFlags(in.id(), inbox.subList(5, 7), FlagOp.ADD, Flags.of("\\Deleted"), OptionalLong.empty());
        u.expunge(in.id(), inbox.subList(5, 7));
        u.renameMailbox("Work", "Jobs");
        u.createMailbox("Old", Set.of());
        u.append("Old", List.of(message("old", "old one")));
        u.deleteMailbox("Old");
        u.subscribe("Jobs/Projects");
        u.unsubscribe("Junk");
        u.setAcl("Jobs/Projects", "bob", "lrs");
        u.setAcl("INBOX", "carol", "lr");
        u.setAcl("INBOX", "carol", "");
        assertThat(work.id()).isEqualTo(u.mailbox("Jobs/Projects").orElseThrow().id());
    }

    @Test void everyKindOfChangeConverges() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            mixedWorkload(t.user("a", "alice"), 10);
            UserStore bob = t.user("a", "bob");
            bob.append("INBOX", List.of(message("b1", "same body")));
            t.user("a", "gone").append("INBOX", List.of(message("g", "gone")));
            t.awaitCaughtUp("a", "b", "gone"); // the replica has the user before the master deletes it
            t.slot("a").deleteUser("gone");
            t.awaitCaughtUp("a", "b", "alice", "bob", "gone");
            t.assertConverged("alice");
            t.assertConverged("bob");
            // The internal dates' zones travelled with the records (RFC 9051 §2.3.3: FETCH INTERNALDATE on the replica shows them)
            UserStore replica = t.slot("b").user("alice");
            assertThat(replica.messages(replica.mailbox("Jobs/Projects").orElseThrow().id(), List.of(Uid.of(1), Uid.of(2))))
                    .extracting(r -> r.internalDate().getOffset()).containsExactly(ZoneOffset.ofHours(-5), ZoneOffset.ofHours(2));
            assertThat(t.slot("b").hasUser("gone")).isFalse();
            assertThat(t.slot("b").check(null, false).problems()).isEmpty();
            assertThat(t.slot("a").check(null, false).problems()).isEmpty();

            // The master prunes its log below what the replica has, and shipping goes on.
            assertThat(t.nodes.get("a").prune()).isPositive();
            assertThat(t.slot("a").changeLog().firstSeq("alice")).isEqualTo(t.slot("a").replication().seq("alice"));
            bob.append("INBOX", List.of(message("after-prune", "x")));
            t.awaitCaughtUp("a", "b", "bob");
            t.assertConverged("bob");
            assertThat(t.slot("a").check(null, false).problems()).isEmpty();
        }
    }

    @Test void theReplicaRefusesLocalWrites() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            t.user("a", "alice").append("INBOX", List.of(message("x", "y")));
            t.awaitCaughtUp("a", "b", "alice");
            UserStore onReplica = t.slot("b").user("alice");
            assertThatThrownBy(() -> onReplica.append("INBOX", List.of(message("z", "z"))))
                    .isInstanceOfSatisfying(StoreException.class, e -> {
                        assertThat(e.reason()).isEqualTo(StoreException.Reason.UNAVAILABLE);
                        assertThat(e.getMessage()).contains("replica");
                    });
            assertThatThrownBy(() -> t.slot("b").openOrCreateUser("newcomer")).isInstanceOf(StoreException.class);
        }
    }

    @Test void syncModeAcknowledgesOnlyWhatTheReplicaApplied() throws Exception {
        // A bound generous enough that a loaded test machine does not trip the fallback by accident.
        ReplicationConfig.Tuning tuning = new ReplicationConfig.Tuning(java.time.Duration.ofSeconds(3), 1000, 10_000,
                FrameCodec.DEFAULT_MAX_FRAME, 500, java.time.Duration.ofMillis(50), java.time.Duration.ofSeconds(10));
        try (TwoNodes t = new TwoNodes(dir, Mode.SYNC, tuning)) {
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                String user = "u" + c;
                done.add(pool.submit(() -> {
                    UserStore u = t.user("a", user);
                    for (int i = 0; i < 20; i++) {
                        AppendResult r = u.append("INBOX", List.of(message(user + "-" + i, "x")));
                        // Acknowledged: the replica has applied it already.
                        assertThat(t.slot("b").replication().seq(user)).isGreaterThanOrEqualTo(r.modSeq().value());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
            assertThat(t.nodes.get("a").status().getFirst().mode()).isEqualTo("sync");

            // The replica goes away: a commit waits the bound, then the store falls back to async.
            t.stop("b");
            UserStore u0 = t.user("a", "u0");
            long start = System.nanoTime();
            u0.append("INBOX", List.of(message("while-down", "x")));
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(tuning.syncTimeout().toNanos());
            assertThat(t.nodes.get("a").status().getFirst().mode()).contains("async");
            u0.append("INBOX", List.of(message("while-down-2", "x")));

            // It comes back, catches up, and the store returns to sync.
            t.start("b");
            t.awaitCaughtUp("a", "b", "u0");
            eventually(Duration.ofSeconds(10), () -> assertThat(t.nodes.get("a").status().getFirst().mode()).isEqualTo("sync"));
            t.assertConverged("u0");
        }
    }

    @Test void aReplicaThatWasDownCatchesUpFromTheLogOrByResync() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            UserStore alice = t.user("a", "alice");
            UserStore bob = t.user("a", "bob");
            alice.append("INBOX", List.of(message("first", "1")));
            bob.append("INBOX", List.of(message("first", "1")));
            t.awaitCaughtUp("a", "b", "alice", "bob");
            t.stop("b");
            mixedWorkload(alice, 8);
            mixedWorkload(bob, 8);
            // Bob's log is pruned past what the replica has: it must be copied whole.
            t.slot("a").changeLog().prune("bob", t.slot("a").replication().seq("bob") - 2);
            t.start("b");
            t.awaitCaughtUp("a", "b", "alice", "bob");
            t.assertConverged("alice");
            t.assertConverged("bob");
            assertThat(t.nodes.get("b").report()).anyMatch(l -> l.contains("bob"));
            bob.append("INBOX", List.of(message("after", "resync")));
            t.awaitCaughtUp("a", "b", "bob");
            t.assertConverged("bob");
            assertThat(t.slot("b").check(null, false).problems()).isEmpty();
        }
    }

    @Test void aCommitTooBigToShipFromMemoryIsShippedFromTheLogAndTheRecordsAroundItToo() throws Exception {
        // The master ships what a commit held in memory; a body larger than that tail (16 MiB a
        // channel) is left out of it, which breaks the user's run: the records after it must not be
        // shipped from memory past the gap, but from the log.
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            UserStore alice = t.user("a", "alice");
            alice.append("INBOX", List.of(message("before", "small")));
            byte[] big = new byte[17 << 20];
            byte[] header = "From: a@example.org\r\nSubject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            java.util.Arrays.fill(big, (byte) 'x');
            System.arraycopy(header, 0, big, 0, header.length);
            alice.append("INBOX", List.of(new NewMessage(BodySource.of(big), Flags.NONE, Instant.parse("2026-01-02T03:04:05Z"))));
            for (int i = 0; i < 5; i++) alice.append("INBOX", List.of(message("after" + i, "small " + i)));
            t.awaitCaughtUp("a", "b", Duration.ofSeconds(30), "alice");
            t.assertConverged("alice");
            assertThat(t.slot("b").user("alice").mailbox("INBOX").orElseThrow().messages()).isEqualTo(7);
            // Followed record by record: shipping past the gap would have made the replica copy alice whole.
            assertThat(t.nodes.get("b").report()).noneMatch(l -> l.contains("alice"));
            assertThat(t.nodes.get("a").report()).noneMatch(l -> l.contains("alice"));
        }
    }

    @Test void aReplicaCatchingUpAppliesAUsersRunOfRecordsInFewDurableBatches() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            UserStore alice = t.user("a", "alice");
            alice.append("INBOX", List.of(message("first", "1")));
            t.awaitCaughtUp("a", "b", "alice");
            t.stop("b");
            List<Uid> uids = new ArrayList<>();
            for (int i = 0; i < 200; i++) uids.addAll(alice.append("INBOX", List.of(message("m" + i, "body " + (i % 50)))).uids());
            MailboxInfo in = alice.mailbox("INBOX").orElseThrow();
            for (int i = 0; i < 40; i++) {
                alice.storeFlags(in.id(), uids.subList(i, i + 1), FlagOp.ADD, Flags.of("\\Seen"), OptionalLong.empty());
            }
            alice.storeFlags(in.id(), uids.subList(0, 20), FlagOp.ADD, Flags.of("\\Deleted"), OptionalLong.empty());
            alice.expunge(in.id(), uids.subList(0, 20)); // bodies shared with later messages stay
            alice.createMailbox("Later", Set.of());
            alice.copy(in.id(), uids.subList(20, 30), "Later");
            long records = t.slot("a").replication().seq("alice") - t.slot("b").replication().seq("alice");
            assertThat(records).isGreaterThan(200);

            var fsyncs = t.slot("b").config().meters().find("cairn.store.fsyncs").counter();
            double before = fsyncs.count();
            t.start("b");
            t.awaitCaughtUp("a", "b", "alice");
            t.assertConverged("alice");
            assertThat(t.slot("b").check(null, false).problems()).isEmpty();
            // One user's records follow each other: applied as runs in one batch each, not one commit per record.
            assertThat(fsyncs.count() - before).isLessThan(records / 5.0);
        }
    }

    @Test void onDemandResyncCopiesTheUserAgain() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            mixedWorkload(t.user("a", "alice"), 8);
            t.awaitCaughtUp("a", "b", "alice");
            t.nodes.get("a").resync("s1", "alice");
            eventually(Duration.ofSeconds(10), () -> assertThat(t.nodes.get("b").report()).anyMatch(l -> l.contains("alice")));
            t.assertConverged("alice");
        }
    }

    static void awaitReport(TwoNodes t, String node, String text) throws Exception {
        eventually(Duration.ofSeconds(15), () -> assertThat(t.nodes.get(node).report()).as("report lines with " + text).anyMatch(l -> l.contains(text)));
    }

    static List<String> subjects(UserStore u, String mailbox) {
        MailboxInfo m = u.mailbox(mailbox).orElseThrow();
        List<Uid> all = new ArrayList<>();
        for (long i = 1; i < m.uidNext(); i++) all.add(Uid.of(i));
        List<String> out = new ArrayList<>();
        for (var r : u.messages(m.id(), all)) out.add(u.parsed(r.body()).envelope().subject());
        return out;
    }

    @Test void splitBrainMailboxesAndMessagesAreMergedNotDropped() throws Exception {
        // Three nodes: a masters, b and c replicate; the new master b keeps writing (reserving on c) while a is away.
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast(), false, List.of("a", "b", "c"))) {
            UserStore alice = t.user("a", "alice");
            alice.append("INBOX", List.of(message("shared", "1"), message("flagme", "2"), message("expungeme", "3")));
            t.awaitCaughtUp("a", "b", "alice");
            t.awaitCaughtUp("a", "c", "alice");
            t.stop("b");
            t.stop("c");
            // Only the old master sees these: a new folder, one whose name the new master will also use,
            // a message, a flag change and an expunge.
            MailboxInfo in = alice.mailbox("INBOX").orElseThrow();
            alice.createMailbox("OnlyOld", Set.of());
            alice.append("OnlyOld", List.of(message("in-only-old", "4")));
            alice.createMailbox("Both", Set.of());
            alice.append("Both", List.of(message("both-old", "5")));
            alice.storeFlags(in.id(), List.of(Uid.of(2)), FlagOp.ADD, Flags.of("\\Flagged"), OptionalLong.empty());
            alice.expunge(in.id(), List.of(Uid.of(3)));
            t.stop("a");
            t.start("c");
            t.start("b");
            // b restarted while a went on: it cannot show it is in sync, so only a forced (unclean) promotion takes it.
            t.nodes.get("b").promote("s1", true);
            UserStore onB = t.slot("b").user("alice");
            onB.createMailbox("Both", Set.of());
            onB.append("Both", List.of(message("both-new", "6")));
            t.awaitCaughtUp("b", "c", "alice");
            t.start("a");
            awaitReport(t, "b", "reconciled alice");
            t.awaitCaughtUp("b", "a", "alice");
            t.awaitCaughtUp("b", "c", "alice");
            assertThat(subjects(onB, "OnlyOld")).containsExactly("in-only-old");
            assertThat(subjects(onB, "Both")).containsExactly("both-new");
            assertThat(subjects(onB, "Both (from a)")).containsExactly("both-old");
            assertThat(onB.message(in.id(), Uid.of(2)).orElseThrow().flags().has(Flags.FLAGGED)).isTrue();
            assertThat(onB.message(in.id(), Uid.of(3))).isEmpty();
            assertThat(t.nodes.get("b").report()).anyMatch(l -> l.contains("Both (from a)"));
            t.assertConvergedOn("b", "a", "alice");
            t.assertConvergedOn("b", "c", "alice");
        }
    }

    @Test void replicasFollowingAPromotedMasterGetItsUidNextJump() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast(), false, List.of("a", "b", "c"))) {
            // b holds a's reservation only if its channel was up when alice's first commit asked for
            // one (a reservation goes to the replicas connected at the time): under load c alone was.
            t.awaitConnected("a");
            t.user("a", "alice").append("INBOX", List.of(message("one", "1")));
            t.awaitCaughtUp("a", "b", "alice");
            t.awaitCaughtUp("a", "c", "alice");
            t.awaitInSync("b");
            t.stop("a");
            t.nodes.get("b").promote("s1");
            MailboxInfo onB = t.slot("b").user("alice").mailbox("INBOX").orElseThrow();
            assertThat(onB.uidNext()).as("UIDNEXT past a's reservation").isGreaterThan(2);
            // c follows b through the log: it skips the same UIDs, so STATUS UIDNEXT agrees on both.
            t.awaitCaughtUp("b", "c", "alice");
            assertThat(t.slot("c").user("alice").mailbox("INBOX").orElseThrow().uidNext()).isEqualTo(onB.uidNext());
            assertThat(t.slot("c").user("alice").mailbox("INBOX").orElseThrow().highestModSeq()).isEqualTo(onB.highestModSeq());
            // ... by applying the jump record, not by a whole copy of the user.
            assertThat(t.nodes.get("c").report()).noneMatch(l -> l.contains("copied whole"));
            AppendResult r = t.slot("b").user("alice").append("INBOX", List.of(message("two", "2")));
            assertThat(r.uids().getFirst().value()).isEqualTo(onB.uidNext());
            t.awaitCaughtUp("b", "c", "alice");
            assertThat(t.slot("c").user("alice").mailbox("INBOX").orElseThrow().uidNext()).isEqualTo(onB.uidNext() + 1);
            t.assertConvergedOn("b", "c", "alice");
            assertThat(t.slot("c").check(null, false).problems()).isEmpty();
        }
    }

    @Test void aPromotedReplicaNeverReusesAUidOrModSeqAndTheOldMasterIsFenced() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            UserStore alice = t.user("a", "alice");
            alice.append("INBOX", List.of(message("one", "1")));
            t.awaitCaughtUp("a", "b", "alice");
            // The replica falls behind (gone), the master goes on within its reserved block.
            t.stop("b");
            long lastUid = 0, lastModSeq = 0;
            for (int i = 0; i < 5; i++) {
                AppendResult r = alice.append("INBOX", List.of(message("lost" + i, "x")));
                lastUid = r.uids().getLast().value();
                lastModSeq = r.modSeq().value();
            }
            // The master dies (its replication stops); the replica is promoted.
            t.stop("a");
            t.start("b");
            // b restarted while a went on: only a forced (unclean) promotion takes it; its mailboxes get new UIDVALIDITYs.
            long epoch = t.nodes.get("b").promote("s1", true).epoch();
            assertThat(epoch).isEqualTo(1);
            UserStore onB = t.slot("b").user("alice");
            MailboxInfo inbox = onB.mailbox("INBOX").orElseThrow();
            assertThat(inbox.uidNext()).isGreaterThan(lastUid);
            assertThat(onB.highestModSeq()).isGreaterThan(lastModSeq);

            // The old master comes back believing it is master: the new master's epoch fences it.
            t.start("a");
            eventually(Duration.ofSeconds(10), () -> assertThat(t.slot("a").replication().fenceReason()).as("a fenced").isNotNull());
            assertThatThrownBy(() -> alice.append("INBOX", List.of(message("zombie", "z"))))
                    .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.UNAVAILABLE));

            // The new master reserves on it and writes; no UID or MODSEQ of the old master is given again.
            AppendResult after = onB.append("INBOX", List.of(message("new-master", "y")));
            assertThat(after.uids().getFirst().value()).isGreaterThan(lastUid);
            assertThat(after.modSeq().value()).isGreaterThan(lastModSeq);
            assertThat(t.slot("b").check(null, false).problems()).isEmpty();

            // ... and the old master follows the new one; what only it had is merged, not dropped.
            awaitReport(t, "b", "reconciled alice");
            t.awaitCaughtUp("b", "a", "alice");
            assertThat(TwoNodes.describe(t.slot("a"), "alice")).isEqualTo(TwoNodes.describe(t.slot("b"), "alice"));
            List<String> subjects = subjects(t.slot("b").user("alice"), "INBOX");
            assertThat(subjects).contains("one", "lost0", "lost1", "lost2", "lost3", "lost4", "new-master");
            assertThat(subjects).doesNotHaveDuplicates();
            assertThat(t.slot("b").user("alice").mailbox("INBOX").orElseThrow().uidValidity()).isEqualTo(inbox.uidValidity());
            assertThat(t.nodes.get("b").report()).anyMatch(l -> l.contains("appended message") && l.contains("again as UID"));
            // The UIDs the old master gave them read as expunged on the new one (QRESYNC VANISHED), on every copy.
            MailboxInfo inboxNow = t.slot("b").user("alice").mailbox("INBOX").orElseThrow();
            for (String node : List.of("a", "b")) {
                assertThat(t.slot(node).user("alice").expungedSince(inboxNow.id(), 0).stream().map(x -> x.uid().value()).toList())
                        .as(node).contains(2L, 3L, 4L, 5L, 6L);
            }
            assertThat(t.slot("a").check(null, false).problems()).isEmpty();
            assertThat(t.slot("b").check(null, false).problems()).isEmpty();
        }
    }
}
