// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.StoreException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Per-user write fences of a node's masters, for an online user move (cairn-server's
 * {@code UserMove}): the source master holds the user for the moment of the switch, so its last
 * changes can be copied while none is added. Asked by every master's {@link WriteGate} before a
 * commit is written, under the user's lock:
 * <ul>
 *   <li>held: the commit waits (a slow answer, not a failure) until the hold ends, at most
 *       {@link #MAX_WAIT}; then it fails UNAVAILABLE (LMTP 451 4.3.0: the sender retries);</li>
 *   <li>released: the waiting commits go on (the move was abandoned);</li>
 *   <li>moved away: the waiting commits and every later one fail UNAVAILABLE with where the user
 *       went (IMAP NO [UNAVAILABLE], LMTP 451 4.3.0): nothing is ever written for the user on this
 *       store again, also from a node whose routing has not heard of the move yet. Kept in memory;
 *       after a restart the directory's placement keeps routing away (cairn-server's SlotRouter);</li>
 *   <li>being removed: only the removal of the old copy passes (its one commit).</li>
 * </ul>
 * The hold counts the user's commits between the gate and their record ({@link #awaitQuiet}), so
 * the move knows when the user's log has stopped growing. A hold lapses at its deadline (the mover
 * may have died): the next commit then asks whether the user still lives here (the directory's
 * placement): yes, the hold is released; no, the user moved (the mover flipped the placement and
 * died before telling this node); no answer, it stays held.
 */
final class UserHolds {
    /** How long a commit waits for a hold to end before it fails (a move's switch lasts well under a second). */
    static final long MAX_WAIT = TimeUnit.SECONDS.toNanos(30);

    private record Key(String store, String user) {}

    private enum State { HELD, MOVED, REMOVING }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<Key, State> states = new HashMap<>();
    private final Map<Key, String> refusals = new HashMap<>();
    /** Per user, commits past the gate whose record has not been handed on yet (absent: none). */
    private final Map<Key, Integer> passing = new HashMap<>();
    /** Per held user: when the hold lapses ({@link System#nanoTime}) and how to ask whether the user still lives here. */
    private final Map<Key, Lapse> lapses = new HashMap<>();

    private record Lapse(long deadline, java.util.function.Supplier<Boolean> stillHere) {}

    /** Before a commit of the user is written: waits while held; throws UNAVAILABLE once moved away. */
    void enter(String store, String user) {
        Key k = new Key(store, user);
        lock.lock();
        try {
            long giveUp = System.nanoTime() + MAX_WAIT;
            State s;
            while ((s = states.get(k)) == State.HELD) {
                Lapse lapse = lapses.get(k);
                long now = System.nanoTime();
                if (lapse != null && now - lapse.deadline() >= 0) {
                    lapsed(k, lapse); // may release the hold, or turn it into a move
                    continue;
                }
                if (now - giveUp >= 0) {
                    throw new StoreException(StoreException.Reason.UNAVAILABLE, "user " + user + " is being moved off store " + store
                            + ": try again in a moment");
                }
                long wake = lapse == null || giveUp - lapse.deadline() < 0 ? giveUp : lapse.deadline();
                try {
                    changed.awaitNanos(wake - now);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StoreException(StoreException.Reason.UNAVAILABLE, "interrupted while user " + user + " is being moved");
                }
            }
            if (s == State.MOVED) throw new StoreException(StoreException.Reason.UNAVAILABLE, refusals.get(k));
            passing.merge(k, 1, Integer::sum);
        } finally {
            lock.unlock();
        }
    }

    /** The commit's record was handed on (or nothing was written). */
    void exit(String store, String user) {
        Key k = new Key(store, user);
        lock.lock();
        try {
            passing.computeIfPresent(k, (key, n) -> n <= 1 ? null : n - 1);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** New commits of the user wait from now on, without a deadline; false when it is held or moved already (another move). */
    boolean hold(String store, String user) { return hold(store, user, Long.MAX_VALUE, () -> true); }

    /**
     * New commits of the user wait from now on, until the hold ends or lapses {@code nanos} from
     * now (then {@code stillHere} decides: true releases, false refuses as moved, an exception
     * keeps it held); false when it is held or moved already (another move).
     */
    boolean hold(String store, String user, long nanos, java.util.function.Supplier<Boolean> stillHere) {
        Key k = new Key(store, user);
        lock.lock();
        try {
            if (states.putIfAbsent(k, State.HELD) != null) return false;
            if (nanos != Long.MAX_VALUE) lapses.put(k, new Lapse(System.nanoTime() + nanos, stillHere));
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: a hold past its deadline. The question is asked outside the lock (a directory lookup). */
    private void lapsed(Key k, Lapse lapse) {
        lock.unlock();
        Boolean here;
        try {
            here = lapse.stillHere().get();
        } catch (RuntimeException e) {
            here = null;
        } finally {
            lock.lock();
        }
        if (states.get(k) != State.HELD || lapses.get(k) != lapse) return; // decided meanwhile
        lapses.remove(k);
        if (here == null) {
            lapses.put(k, new Lapse(System.nanoTime() + TimeUnit.SECONDS.toNanos(1), lapse.stillHere())); // ask again in a second
        } else if (here) {
            states.remove(k);
        } else {
            states.put(k, State.MOVED);
            refusals.put(k, "user " + k.user() + " moved to another store: try again there");
        }
        changed.signalAll();
    }

    /** Whether every commit of the user past the gate has been handed on, waiting until the deadline ({@link System#nanoTime}). */
    boolean awaitQuiet(String store, String user, long deadline) throws InterruptedException {
        Key k = new Key(store, user);
        lock.lock();
        try {
            while (passing.containsKey(k)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                changed.await(left, TimeUnit.NANOSECONDS);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The hold ends without a move: the waiting commits go on. A user moved away stays refused. */
    void release(String store, String user) {
        lock.lock();
        try {
            Key k = new Key(store, user);
            if (states.remove(k, State.HELD)) lapses.remove(k);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The user now lives on another store: its commits here are refused with these words. */
    void movedAway(String store, String user, String refusal) {
        Key k = new Key(store, user);
        lock.lock();
        try {
            states.put(k, State.MOVED);
            refusals.put(k, refusal);
            lapses.remove(k);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Lets the one commit that removes the old copy pass ({@code removing}), then refuses again. */
    void removing(String store, String user, boolean removing) {
        Key k = new Key(store, user);
        lock.lock();
        try {
            if (states.containsKey(k)) states.put(k, removing ? State.REMOVING : State.MOVED);
        } finally {
            lock.unlock();
        }
    }

    /** The user moves (back) into this store: no fence of an earlier move is left on it. */
    void arrived(String store, String user) {
        Key k = new Key(store, user);
        lock.lock();
        try {
            states.remove(k);
            refusals.remove(k);
            lapses.remove(k);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

}
