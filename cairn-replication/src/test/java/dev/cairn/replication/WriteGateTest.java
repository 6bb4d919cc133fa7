// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.BodyId;
import dev.cairn.store.MailboxId;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.CommitHook;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The write gate counts each commit from beforeCommit until its record is handed on: a switchover
 * and a user's hold wait for those. A commit the slot refused after the gate (fenced while it
 * waited, so nothing was written) is counted out too, else both would wait for it in vain.
 */
@Timeout(30)
class WriteGateTest {
    private static final CommitHook NOTHING = new CommitHook() {
        @Override public void beforeCommit(String user, long seq, Map<MailboxId, Long> highestUids) {}

        @Override public void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, byte[]> bodies) {}

        @Override public void awaitReplicated(String user, long seq) {}
    };

    @Test void aCommitAbandonedAfterTheGateIsNoLongerWaitedFor() throws Exception {
        UserHolds holds = new UserHolds();
        WriteGate gate = new WriteGate(NOTHING, "s1", () -> true, holds);
        gate.beforeCommit("alice", 8, Map.of());
        long soon = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        assertThat(gate.awaitQuiet(soon)).as("the store, with the commit past the gate").isFalse();
        assertThat(holds.awaitQuiet("s1", "alice", soon)).as("the user, with the commit past the gate").isFalse();

        gate.abandoned("alice");
        long later = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        assertThat(gate.awaitQuiet(later)).as("the store, once the commit wrote nothing").isTrue();
        assertThat(holds.awaitQuiet("s1", "alice", later)).as("the user, once the commit wrote nothing").isTrue();
    }
}
