// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Sync-mode commits wait per user: an Ack wakes its own user's commits up to its seq, nothing else. */
class SyncWaitersTest {
    private final SyncWaiters waiting = new SyncWaiters();

    @Test void anAckWakesOnlyItsUsersCommitsUpToItsSeq() {
        SyncWaiters.Waiter a5 = waiting.add("alice", 5), a7 = waiting.add("alice", 7), b5 = waiting.add("bob", 5);
        waiting.release("alice", 6);
        assertThat(a5.done()).isCompletedWithValue(true);
        assertThat(a7.done()).as("beyond the Ack").isNotDone();
        assertThat(b5.done()).as("another user").isNotDone();
        waiting.release("alice", 7);
        assertThat(a7.done()).isCompletedWithValue(true);
    }

    @Test void aDeletionWakesTheCommitsItCoversAsTheStoreSays() {
        SyncWaiters.Waiter old = waiting.add("alice", 9), reborn = waiting.add("alice", 2);
        waiting.releaseHeld("alice", seq -> seq == 9); // a later life's commit at a lower seq waits for its own Ack
        assertThat(old.done()).isCompletedWithValue(true);
        assertThat(reborn.done()).isNotDone();
    }

    @Test void aDroppedCommitIsNotWokenAndReleaseAllEndsEveryWaitWithoutAReplica() {
        SyncWaiters.Waiter dropped = waiting.add("alice", 1), left = waiting.add("bob", 1);
        waiting.drop("alice", dropped);
        waiting.release("alice", 1);
        assertThat(dropped.done()).isNotDone();
        waiting.releaseAll();
        assertThat(left.done()).as("nobody waits any more: not held by a replica").isCompletedWithValue(false);
    }
}
