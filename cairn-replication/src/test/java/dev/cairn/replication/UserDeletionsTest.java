// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UserDeletionsTest {
    @Test void anAckOfZeroConfirmsTheDeletionOnlyWhenItAnswersAFrameSentAfterIt() {
        UserDeletions d = new UserDeletions();
        d.committed("alice", 12, true, false, 40); // frames 1..40 left before the deletion
        assertThat(d.confirms("alice", 40)).as("an answer to a frame sent before: the replica may get the user back after it").isZero();
        assertThat(d.confirmed("alice")).isZero();
        assertThat(d.confirms("alice", 41)).isEqualTo(12);
        assertThat(d.confirmed("alice")).isEqualTo(12);
        assertThat(d.confirms("alice", 42)).as("confirmed once").isZero();
        assertThat(d.confirms("bob", 43)).as("never deleted").isZero();
    }

    @Test void aUserCreatedAgainDropsTheDeletionAndIgnoresAnswersOfItsEarlierLife() {
        UserDeletions d = new UserDeletions();
        d.committed("alice", 12, true, false, 40);
        assertThat(d.confirms("alice", 41)).isEqualTo(12);
        d.committed("alice", 1, false, true, 50); // created again, at seq 1
        assertThat(d.confirmed("alice")).as("no confirmation covers the new life").isZero();
        assertThat(d.ofEarlierLife("alice", 50)).isTrue();
        assertThat(d.ofEarlierLife("alice", 51)).isFalse();
        assertThat(d.ofEarlierLife("alice", 50)).as("forgotten once a later answer came").isFalse();

        // Deleted again before the first deletion was confirmed: only the new one can be.
        d.committed("bob", 7, true, false, 60);
        d.committed("bob", 1, false, true, 61);
        d.committed("bob", 3, true, false, 62);
        assertThat(d.confirms("bob", 62)).isZero();
        assertThat(d.confirms("bob", 63)).isEqualTo(3);
    }

    @Test void aReconnectConfirmsTheDeletionsOfUsersTheReplicaDoesNotList() {
        UserDeletions d = new UserDeletions();
        d.committed("alice", 12, true, false, 40);
        d.committed("bob", 5, true, false, 41);
        d.committed("carol", 2, false, true, 42);
        d.disconnected();
        assertThat(d.ofEarlierLife("carol", 10)).as("no answer of an earlier connection can come").isFalse();
        assertThat(d.absentAtReplica(Set.of("bob"))).isEqualTo(Map.of("alice", 12L));
        assertThat(d.confirmed("alice")).isEqualTo(12);
        assertThat(d.confirmed("bob")).isZero();
        assertThat(d.confirms("bob", 50)).isEqualTo(5);
    }
}
