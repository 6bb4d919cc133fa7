// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.StoreException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-user fence of an online move: held commits wait, a move refuses them, an abandoned move lets them go on. */
@Timeout(30)
class UserHoldsTest {
    private final UserHolds holds = new UserHolds();

    private CompletableFuture<String> commit(String user) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                holds.enter("s1", user);
                holds.exit("s1", user);
                return "written";
            } catch (StoreException e) {
                return e.reason() + ": " + e.getMessage();
            }
        }, runnable -> Thread.ofVirtual().start(runnable)); // a thread each: the common pool may have one
    }

    @Test void aHeldUsersCommitWaitsAndIsRefusedWithWhereTheUserWentOnceMoved() throws Exception {
        assertThat(holds.hold("s1", "alice")).isTrue();
        assertThat(holds.hold("s1", "alice")).as("a second move of the same user").isFalse();
        CompletableFuture<String> waiting = commit("alice");
        assertThat(commit("bob").get(5, TimeUnit.SECONDS)).as("other users go on").isEqualTo("written");
        Thread.sleep(100); // the waiting commit is parked in enter (its outcome below shows it had not passed)
        assertThat(waiting).isNotDone();
        holds.movedAway("s1", "alice", "user alice moved to store s2: try again there");
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo("UNAVAILABLE: user alice moved to store s2: try again there");
        assertThat(commit("alice").get(5, TimeUnit.SECONDS)).as("and every later one").startsWith("UNAVAILABLE");
        holds.removing("s1", "alice", true);
        assertThat(commit("alice").get(5, TimeUnit.SECONDS)).as("the removal of the old copy passes").isEqualTo("written");
        holds.removing("s1", "alice", false);
        assertThat(commit("alice").get(5, TimeUnit.SECONDS)).startsWith("UNAVAILABLE");
        holds.arrived("s1", "alice");
        assertThat(commit("alice").get(5, TimeUnit.SECONDS)).as("moved back in").isEqualTo("written");
    }

    @Test void anAbandonedMoveLetsTheWaitingCommitsGoOn() throws Exception {
        assertThat(holds.hold("s1", "alice")).isTrue();
        CompletableFuture<String> waiting = commit("alice");
        Thread.sleep(100);
        assertThat(waiting).isNotDone();
        holds.release("s1", "alice");
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo("written");
    }

    @Test void theHoldIsQuietOnlyOnceTheCommitsInFlightHaveTheirRecord() throws Exception {
        holds.enter("s1", "alice"); // a commit past the gate, its record not handed on yet
        assertThat(holds.hold("s1", "alice")).isTrue();
        assertThat(holds.awaitQuiet("s1", "alice", System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50))).isFalse();
        holds.exit("s1", "alice");
        assertThat(holds.awaitQuiet("s1", "alice", System.nanoTime() + TimeUnit.SECONDS.toNanos(1))).isTrue();
        assertThat(holds.awaitQuiet("s1", "bob", System.nanoTime())).as("a user with nothing in flight").isTrue();
    }

    @Test void aHoldWhoseMoverDiedLapsesIntoReleasedOrMovedAsTheDirectorySays() throws Exception {
        assertThat(holds.hold("s1", "alice", TimeUnit.MILLISECONDS.toNanos(200), () -> true)).isTrue();
        assertThat(commit("alice").get(5, TimeUnit.SECONDS)).as("the user still lives here").isEqualTo("written");
        assertThat(holds.hold("s1", "bob", TimeUnit.MILLISECONDS.toNanos(200), () -> false)).isTrue();
        assertThat(commit("bob").get(5, TimeUnit.SECONDS)).as("placed elsewhere: the mover flipped it and died")
                .isEqualTo("UNAVAILABLE: user bob moved to another store: try again there");
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        assertThat(holds.hold("s1", "carol", TimeUnit.MILLISECONDS.toNanos(100), () -> {
            if (asked.incrementAndGet() == 1) throw new IllegalStateException("directory down");
            return true;
        })).isTrue();
        assertThat(commit("carol").get(5, TimeUnit.SECONDS)).as("no answer: held, asked again a second later").isEqualTo("written");
        assertThat(asked.get()).isEqualTo(2);
    }
}
