// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static dev.cairn.replication.ReplicationIT.message;
import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.ReplicationConfig.Mode;
import dev.cairn.replication.ReplicationConfig.Tuning;
import dev.cairn.store.UserStore;
import dev.cairn.testkit.FaultProxy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's deletion in sync mode: the replica that let go of the user acknowledges it (it reports
 * the user at 0, which the master matches against the deletion), so the deletion is not held for
 * the whole sync_timeout and the store neither degrades nor takes the replica out of its in-sync
 * set (every online user move ends with such a deletion); and a user created again, at a lower
 * seq, still waits for the replica's own Ack of its new commits.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UserDeletionIT {
    private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(2);

    @TempDir Path dir;

    /** fast(), with a sync_timeout the deletions must stay well under. */
    private static Tuning tuning() {
        Tuning f = TwoNodes.fast();
        return new Tuning(SYNC_TIMEOUT, 1000, 10_000, FrameCodec.DEFAULT_MAX_FRAME, 500, Duration.ofMillis(50), Duration.ofSeconds(10))
                .withReconnect(f.reconnectDelay(), f.reconnectMax());
    }

    private static Replication.StoreStatus status(TwoNodes t, String node) { return t.nodes.get(node).status().getFirst(); }

    @Test void aDeletionIsAcknowledgedByTheReplicaThatLetGoOfTheUser() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.SYNC, tuning()); LogCapture logs = new LogCapture()) {
            t.awaitConnected("a");
            List<String> users = List.of("alice", "bob", "carol", "dave");
            for (String u : users) {
                UserStore s = t.user("a", u);
                for (int i = 0; i < 5; i++) s.append("INBOX", List.of(message(u + "-" + i, "x")));
            }
            t.awaitCaughtUp("a", "b", users.toArray(String[]::new));
            t.awaitInSync("b");
            for (String u : users) {
                long start = System.nanoTime();
                t.slot("a").deleteUser(u);
                long ms = (System.nanoTime() - start) / 1_000_000;
                // Acknowledged when the replica dropped the user: one round trip, not sync_timeout.
                assertThat(ms).as("deleting " + u + " (ms)").isLessThan(SYNC_TIMEOUT.toMillis() / 2);
                assertThat(t.slot("b").hasUser(u)).as(u + " on the replica once its deletion is acknowledged").isFalse();
            }
            assertThat(status(t, "a").degraded()).as("degraded").isNull();
            assertThat(status(t, "a").mode()).isEqualTo("sync");
            assertThat(logs.warningsContaining("degraded")).isEmpty();
            assertThat(logs.warningsContaining("out of")).as("taken out of the in-sync set").isEmpty();
            assertThat(t.nodes.get("b").status().getFirst().inSync().get("b")).as("the replica's in-sync state").startsWith("in sync");
        }
    }

    @Test void aUserCreatedAgainWaitsForTheReplicasOwnAckOfItsNewCommits() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.SYNC, tuning()); LogCapture logs = new LogCapture()) {
            // The master reaches its replica through a proxy the test can cut silently.
            t.stop("a");
            FaultProxy link = FaultProxy.to(t.ports.get("b"));
            try (link) {
                t.peers.put("b", new InetSocketAddress("127.0.0.1", link.port()));
                t.start("a");
                t.awaitConnected("a");
                UserStore first = t.user("a", "alice");
                for (int i = 0; i < 10; i++) first.append("INBOX", List.of(message("first-life-" + i, "x")));
                long deletedAt = t.slot("a").replication().seq("alice") + 1;
                long start = System.nanoTime();
                t.slot("a").deleteUser("alice");
                assertThat(System.nanoTime() - start).as("the deletion's wait").isLessThan(SYNC_TIMEOUT.toNanos() / 2);

                // Created again, it starts over at a seq far below the deletion's.
                UserStore again = t.user("a", "alice");
                again.append("INBOX", List.of(message("second-life-0", "y")));
                long seq = t.slot("a").replication().seq("alice");
                assertThat(seq).isLessThan(deletedAt);
                assertThat(t.slot("b").replication().seq("alice")).as("acknowledged: the replica has it").isEqualTo(seq);
                assertThat(status(t, "a").degraded()).isNull();

                // The replica hears nothing more: a new commit, below the deletion's seq, is not
                // acknowledged by what the replica said of the first life or of its deletion.
                link.blackhole();
                start = System.nanoTime();
                again.append("INBOX", List.of(message("second-life-1", "y")));
                assertThat(System.nanoTime() - start).as("waited for the replica").isGreaterThanOrEqualTo(SYNC_TIMEOUT.toNanos());
                assertThat(t.slot("a").replication().seq("alice")).isLessThan(deletedAt);
                assertThat(status(t, "a").degraded()).startsWith("degraded since ");
                assertThat(logs.warningsContaining("no replica applied a commit within")).hasSize(1);

                // The link comes back: the replica catches up with the second life, and sync mode resumes.
                link.heal();
                t.awaitCaughtUp("a", "b", "alice");
                eventually(Duration.ofSeconds(30), () -> assertThat(status(t, "a").degraded()).isNull());
                t.assertConverged("alice");
            }
        }
    }
}
