// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.BodyId;
import dev.cairn.store.MailboxId;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.CommitHook;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The gate in front of a master's commit hook, for a planned switchover: while it is closed, new
 * commits of the store wait before anything is written (under their user's lock, so a client
 * sees a slow answer, not a failure); the switchover meanwhile waits for the commits already past
 * it to be durable and handed to the channels ({@link #awaitQuiet}). Opened again, the commits
 * go on; shut (the store moved to another master), they are refused UNAVAILABLE, as a fenced
 * master's writes are (IMAP NO [UNAVAILABLE], LMTP 451 4.3.0).
 *
 * <p>It is also where a cluster node's write lease fences the master ({@code mayAcknowledge}, one
 * volatile read): a commit starts only while the lease holds, and is acknowledged only if it
 * still holds after the commit is durable and replicated; otherwise it fails UNAVAILABLE like a
 * fenced master's (the client retries on whichever node the map names master then).
 */
final class WriteGate implements CommitHook {
    private final CommitHook hook;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean closed;
    /** Non-null once shut: the refusal's words. */
    private String refusal;
    /**
     * Commits past the gate whose record has not reached the hook's {@code committed} yet. A commit
     * whose write fails after the gate is never counted down: a switchover then waits for it in
     * vain and is abandoned at its budget (a failing disk is no time to move a store).
     */
    private int passing;

    /**
     * The cluster's write lease as a master asks it: true at once while it holds; when it has
     * lapsed, after waiting a while for it to come back, and then only if {@code afterWait} still
     * says so (the store did not move meanwhile).
     */
    interface Lease {
        boolean mayAcknowledge(BooleanSupplier afterWait);
    }

    /** Whether this node may acknowledge writes now (the cluster's write lease; always true without a cluster). */
    private final BooleanSupplier mayAcknowledge;
    private final String store;
    /** The node's per-user fences (an online user move), asked after the store's gate. */
    private final UserHolds users;

    WriteGate(CommitHook hook, String store, BooleanSupplier mayAcknowledge, UserHolds users) {
        this.hook = hook;
        this.store = store;
        this.mayAcknowledge = mayAcknowledge;
        this.users = users;
    }

    @Override public void beforeCommit(String user, long seq, Map<MailboxId, Long> highestUids) {
        // Nothing written yet: a master that may not acknowledge does not write either (asked
        // outside the lock: it may wait a while for the lease to come back).
        if (!mayAcknowledge.getAsBoolean()) throw leaseLapsed("");
        lock.lock();
        try {
            while (closed && refusal == null) changed.awaitUninterruptibly();
            if (refusal != null) throw new StoreException(StoreException.Reason.UNAVAILABLE, refusal);
            passing++;
        } finally {
            lock.unlock();
        }
        try {
            users.enter(store, user); // may wait (the user is being moved) or refuse (moved away)
        } catch (RuntimeException | java.lang.Error e) {
            passed();
            throw e;
        }
        try {
            hook.beforeCommit(user, seq, highestUids);
        } catch (RuntimeException | java.lang.Error e) {
            users.exit(store, user);
            passed(); // nothing was written
            throw e;
        }
    }

    @Override public void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, byte[]> bodies) {
        try {
            hook.committed(record, previous, encoded, bodies);
        } finally {
            users.exit(store, record.user());
            passed();
        }
    }

    /** Fenced while it waited: nothing was written, so the switchover and the user's hold need not wait for it. */
    @Override public void abandoned(String user) {
        try {
            hook.abandoned(user);
        } finally {
            users.exit(store, user);
            passed();
        }
    }

    @Override public void awaitReplicated(String user, long seq) {
        hook.awaitReplicated(user, seq);
        // The acknowledgement itself: after the wait for the replicas, however long it took.
        if (!mayAcknowledge.getAsBoolean()) throw leaseLapsed("; the change is written here and may not be kept");
    }

    /** The last look before a protocol's answer (after what {@link #awaitReplicated} looked at, e.g. an IMAP session's own change reported). */
    @Override public void confirmAcknowledgement() {
        if (!mayAcknowledge.getAsBoolean()) throw leaseLapsed("; the change is written here and may not be kept");
    }

    private StoreException leaseLapsed(String more) {
        return new StoreException(StoreException.Reason.UNAVAILABLE, "store " + store
                + ": this node's cluster write lease lapsed (its ZooKeeper session may be gone) or the store moved: not acknowledged" + more);
    }

    private void passed() {
        lock.lock();
        try {
            if (passing > 0) passing--; // a commit that began under the previous hook
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** New commits wait from now on; false when the gate was closed already (another switchover is under way). */
    boolean close() {
        lock.lock();
        try {
            if (closed || refusal != null) return false;
            closed = true;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether every commit that passed the gate has been handed over, waiting until the deadline ({@link System#nanoTime}). */
    boolean awaitQuiet(long deadline) throws InterruptedException {
        lock.lock();
        try {
            while (passing > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                changed.await(left, TimeUnit.NANOSECONDS);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The waiting commits go on (a switchover abandoned). */
    void open() {
        lock.lock();
        try {
            closed = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The store is no longer mastered here: the waiting commits, and any later one, are refused. */
    void shut(String reason) {
        lock.lock();
        try {
            if (refusal == null) refusal = reason;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
