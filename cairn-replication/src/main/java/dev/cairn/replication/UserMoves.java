// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The replication side of online user moves on one node (cairn-server's UserMove drives them over
 * the admin endpoints): holding a user's commits on the source master, ending the hold as a
 * release or as a move away, and waiting until a store's replicas have a user. The fences
 * themselves are {@link UserHolds}, asked by every master's {@link WriteGate}.
 */
public final class UserMoves {
    private final Replication replication;
    private final UserHolds holds = new UserHolds();

    UserMoves(Replication replication) { this.replication = replication; }

    /** The fences every master of this node asks. */
    UserHolds holds() { return holds; }

    /**
     * On the master of a store: new commits of the user wait from now on (see {@link UserHolds}),
     * and this returns once those already past the gate have their record in the log; false (and no
     * hold) when the user is held already or the commits in flight did not finish within the budget.
     * The hold lapses 5 s after the budget if the mover has not ended it: {@code stillHere} (the
     * directory's placement) then says whether it is released or the user moved.
     */
    public boolean hold(String store, String user, Duration budget, Supplier<Boolean> stillHere) throws InterruptedException {
        if (!replication.isMaster(store)) throw new IllegalStateException("store " + store + " is not mastered here");
        // The hold lapses a while after the budget (the mover gives up at the budget): then stillHere decides.
        if (!holds.hold(store, user, budget.plusSeconds(5).toNanos(), stillHere)) return false;
        if (holds.awaitQuiet(store, user, System.nanoTime() + budget.toNanos())) return true;
        holds.release(store, user);
        return false;
    }

    /** The hold ends without a move: the waiting commits of the user go on. */
    public void release(String store, String user) { holds.release(store, user); }

    /** The user lives on {@code to} now: its waiting and later commits on this store are refused UNAVAILABLE. */
    public void movedAway(String store, String user, String to) {
        holds.movedAway(store, user, "user " + user + " moved to store " + to + ": try again there");
    }

    /** Lets the removal of a moved user's old copy through the user's fence ({@code true}), and closes it again. */
    public void removing(String store, String user, boolean removing) { holds.removing(store, user, removing); }

    /** The user moved into this store: no fence of an earlier move off it is left. */
    public void arrived(String store, String user) { holds.arrived(store, user); }

    /**
     * On a store's master: waits until every replica of the store has acknowledged the user at seq
     * or later (polled every 20 ms), at most {@code timeout}; whether they did.
     */
    public boolean awaitReplicated(String store, String user, long seq, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            StoreMaster m = replication.masters.get(store);
            if (m == null) throw new IllegalStateException("store " + store + " is not mastered here");
            if (m.replicatedSeq(user) >= seq) return true;
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
    }
}
