// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.SlotStore.FenceListener;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.LoggerFactory;

/**
 * A slot's fence (null reason: writable), its listeners, and the gate that makes it a clean cut
 * between the local commits a new master is told of and those that write nothing.
 *
 * <p>A local commit looks at the fence under the user's lock, then may wait long in its hook (a
 * master asking its replica for a reservation waits up to the sync timeout; a master frozen there,
 * as in MasterFrozenIT, waits past its session). Meanwhile a new master's handshake fences the
 * slot and reads its positions (RocksSlotReplication.positions): a record written after that is
 * never reconciled, and the new master's next records are applied over it on this slot (a jump
 * record skips seqs; a record at a seq held already reads as applied), so the copies differ for
 * good. So a local commit looks again right before it is written ({@link #beginLocalCommit}),
 * holding the gate shared until its new state is published ({@link #localCommitPublished}), and
 * {@link #fence} raises the fence holding the gate alone: a commit either passed its last look
 * before the fence and is published before fence() returns (so the positions read after it
 * include it), or it looks after and writes nothing (UNAVAILABLE, as any write of a fenced slot).
 *
 * <p>The gate spans no wait for another node: only the commit's own durable write (the committer's
 * fsync) and its publication, so fence() waits at most that long. Not re-entered: a commit takes
 * it once, and fence() is never called by a thread inside a commit (its listeners run after the
 * gate is released).
 */
final class SlotFence {
    private volatile String reason;
    private final CopyOnWriteArrayList<FenceListener> listeners = new CopyOnWriteArrayList<>();
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();

    /** Raises the fence (once the local commits past their last look are published); whether the slot was writable until now. */
    boolean raise(String why) {
        gate.writeLock().lock();
        try {
            boolean wasWritable = reason == null;
            reason = why;
            return wasWritable;
        } finally {
            gate.writeLock().unlock();
        }
    }

    /**
     * Raises the fence and, when the slot took writes until now, tells the listeners, on this
     * thread, so that what they end is what existed when writes stopped (told later, a server would
     * also end a session that started on the fenced slot, a verify login). Listeners do not block.
     */
    void fence(String why) {
        if (!raise(why)) return;
        for (FenceListener l : listeners) {
            try {
                l.fenced(why);
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(SlotFence.class).warn("fence listener failed", e);
            }
        }
    }

    void lower() { reason = null; }

    /** Null when writable. */
    String reason() { return reason; }

    Runnable onFenced(FenceListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** UNAVAILABLE with the fence's reason when it is up. */
    void checkWritable() {
        String f = reason;
        if (f != null) throw new StoreException(Reason.UNAVAILABLE, f);
    }

    /**
     * A local commit's last look at the fence, right before its batch is written (UNAVAILABLE when
     * it is up, and nothing is held then); the fence stays down until {@link #localCommitPublished}.
     */
    void beginLocalCommit() {
        gate.readLock().lock();
        try {
            checkWritable();
        } catch (StoreException e) {
            gate.readLock().unlock();
            throw e;
        }
    }

    /** The commit begun with {@link #beginLocalCommit} is durable and its state published, or it failed. */
    void localCommitPublished() { gate.readLock().unlock(); }
}
