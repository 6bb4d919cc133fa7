// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static dev.cairn.replication.ReplicationIT.message;
import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.replication.ReplicationConfig.Mode;
import dev.cairn.replication.ReplicationConfig.OnReplicaLoss;
import dev.cairn.replication.ReplicationConfig.Tuning;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A master whose replica is gone: it goes on degraded (or refuses, when told to), hands out UIDs
 * past the replica's reservation only within the window, gives a mailbox that would pass it a new
 * UIDVALIDITY, and a replica promoted without knowing any of it never hands out a UID that names
 * another message under the same UIDVALIDITY.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DegradedModeIT {
    private static final long BLOCK = 10, WINDOW = 50;

    @TempDir Path dir;

    /** Small blocks and a small window, so a test passes them in a few dozen appends. */
    private static Tuning small(Duration syncTimeout) {
        return new Tuning(syncTimeout, BLOCK, 20, FrameCodec.DEFAULT_MAX_FRAME, 500, Duration.ofMillis(50), Duration.ofSeconds(10))
                .withDegradedUidWindow(WINDOW);
    }

    private static Replication.StoreStatus status(TwoNodes t, String node) { return t.nodes.get(node).status().getFirst(); }

    /** Stops the replica and waits until the master has seen its channels go down. */
    private static void loseReplica(TwoNodes t) throws Exception {
        t.stop("b");
        eventually(Duration.ofSeconds(10), () -> assertThat(status(t, "a").channels()).noneMatch(Replication.ChannelStatus::connected));
    }

    @Test void aPromotionAfterDegradedWritesNeverReusesAUidUnderOneUidValidity() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, small(Duration.ofSeconds(30)))) {
            t.awaitConnected("a");
            UserStore alice = t.user("a", "alice");
            AppendResult first = alice.append("INBOX", List.of(message("before", "0")));
            t.awaitCaughtUp("a", "b", "alice");
            long uidValidity = first.uidValidity();
            // What IMAP clients were told: (UIDVALIDITY, UID) -> message, and the MODSEQs.
            Map<String, String> told = new HashMap<>();
            told.put(uidValidity + "/" + first.uids().getFirst().value(), "before");
            long highestModSeq = first.modSeq().value();

            loseReplica(t);
            long start = System.nanoTime();
            long highestUnderFirst = 0;
            for (int i = 0; i < 120; i++) {
                AppendResult r = alice.append("INBOX", List.of(message("degraded-" + i, "x")));
                told.put(r.uidValidity() + "/" + r.uids().getFirst().value(), "degraded-" + i);
                if (r.uidValidity() == uidValidity) highestUnderFirst = Math.max(highestUnderFirst, r.uids().getFirst().value());
                highestModSeq = r.modSeq().value();
            }
            assertThat(System.nanoTime() - start).as("async: nobody waited for the replica").isLessThan(Duration.ofSeconds(30).toNanos());
            assertThat(status(t, "a").degraded()).startsWith("degraded since ");
            MailboxInfo inbox = alice.mailbox("INBOX").orElseThrow();
            assertThat(inbox.uidValidity()).as("INBOX passed the window: a new UIDVALIDITY").isGreaterThan(uidValidity);
            // Under the first UIDVALIDITY, nothing past the replica's reservation (its first block) + the window.
            assertThat(highestUnderFirst).isPositive().isLessThanOrEqualTo(1 + BLOCK + WINDOW);
            // The messages keep their UIDs under the new one, and later ones follow.
            assertThat(inbox.messages()).isEqualTo(121);

            // The master dies; the replica, which never heard of any of it, is promoted.
            t.stop("a");
            t.start("b");
            t.nodes.get("b").promote("s1");
            UserStore onB = t.slot("b").user("alice");
            assertThat(onB.mailbox("INBOX").orElseThrow().uidValidity()).isEqualTo(uidValidity);
            for (int i = 0; i < 5; i++) {
                AppendResult r = onB.append("INBOX", List.of(message("after-" + i, "y")));
                assertThat(r.uids().getFirst().value()).as("a new master's UID").isGreaterThan(highestUnderFirst);
                assertThat(r.modSeq().value()).as("a new master's MODSEQ").isGreaterThan(highestModSeq);
                String was = told.put(r.uidValidity() + "/" + r.uids().getFirst().value(), "after-" + i);
                assertThat(was).as("UID %d under UIDVALIDITY %d named another message", r.uids().getFirst().value(), r.uidValidity()).isNull();
            }

            // The old master comes back: what it acknowledged alone is merged into the new master.
            t.start("a");
            ReplicationIT.awaitReport(t, "b", "reconciled alice");
            t.awaitCaughtUp("b", "a", Duration.ofSeconds(60), "alice");
            assertThat(ReplicationIT.subjects(onB, "INBOX")).contains("degraded-0", "degraded-119", "after-4");
            assertThat(t.nodes.get("b").report()).anyMatch(l -> l.contains("new UIDVALIDITY while no replica had it"));
            t.assertConvergedOn("b", "a", "alice");
        }
    }

    @Test void aMasterWithoutItsReplicaIsDegradedOnceAndLeavesItWhenTheReplicaCaughtUp() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.SYNC, small(Duration.ofSeconds(2)));
             LogCapture logs = new LogCapture()) {
            t.awaitConnected("a");
            UserStore alice = t.user("a", "alice");
            alice.append("INBOX", List.of(message("one", "1")));
            assertThat(status(t, "a").degraded()).isNull();
            loseReplica(t);
            // Sync: the first commit waits sync_timeout, then the store is degraded and nobody waits.
            long start = System.nanoTime();
            alice.append("INBOX", List.of(message("two", "2")));
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofSeconds(2).toNanos());
            start = System.nanoTime();
            for (int i = 0; i < 3 * (int) BLOCK; i++) alice.append("INBOX", List.of(message("more-" + i, "3")));
            assertThat(System.nanoTime() - start).as("degraded: no commit waits again").isLessThan(Duration.ofSeconds(2).toNanos());
            assertThat(status(t, "a").degraded()).startsWith("degraded since ");
            assertThat(status(t, "a").mode()).contains("async");
            assertThat(logs.warningsContaining("degraded")).hasSize(1);

            t.start("b");
            t.awaitCaughtUp("a", "b", "alice");
            eventually(Duration.ofSeconds(20), () -> assertThat(status(t, "a").degraded()).isNull());
            assertThat(status(t, "a").mode()).isEqualTo("sync");
            t.assertConverged("alice");
        }
    }

    @Test void refuseKeepsTheMasterFromAcknowledgingWhatNoReplicaHas() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.SYNC, OnReplicaLoss.REFUSE, small(Duration.ofSeconds(2)))) {
            t.awaitConnected("a");
            UserStore alice = t.user("a", "alice");
            alice.append("INBOX", List.of(message("one", "1")));
            long seq = t.slot("a").replication().seq("alice");
            loseReplica(t);
            long start = System.nanoTime();
            assertThatThrownBy(() -> alice.append("INBOX", List.of(message("refused", "2"))))
                    .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.UNAVAILABLE));
            assertThat(System.nanoTime() - start).as("refused after sync_timeout").isGreaterThanOrEqualTo(Duration.ofSeconds(2).toNanos());
            assertThat(t.slot("a").replication().seq("alice")).as("nothing written").isEqualTo(seq);
            // Refusing: later commits are refused at once, until a replica is back.
            start = System.nanoTime();
            assertThatThrownBy(() -> alice.append("INBOX", List.of(message("refused-again", "3")))).isInstanceOf(StoreException.class);
            assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(2).toNanos());
            assertThat(status(t, "a").degraded()).startsWith("refusing writes since ");

            t.start("b");
            eventually(Duration.ofSeconds(20), () -> assertThat(status(t, "a").degraded()).isNull());
            AppendResult ok = alice.append("INBOX", List.of(message("back", "4")));
            assertThat(t.slot("b").replication().seq("alice")).as("acknowledged: on both").isGreaterThanOrEqualTo(ok.modSeq().value());
        }
    }
}
