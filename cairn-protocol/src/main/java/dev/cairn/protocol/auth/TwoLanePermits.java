// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A semaphore with two FIFO lanes: a free permit goes to the first lane's oldest waiter before
 * any waiter of the second lane, and the second lane may never hold the last {@code reserved}
 * permits. {@link AuthThrottle} puts attempts from penalized addresses in the second lane, so
 * they never occupy a permit ahead of, or instead of, an unpenalized attempt. Waits are timed
 * and interruptible; a waiter that gives up leaves no trace.
 */
final class TwoLanePermits {
    private static final class Waiter {
        final Condition turn;
        boolean granted;

        Waiter(Condition turn) { this.turn = turn; }
    }

    private final int permits;
    private final int reserved;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Waiter> first = new ArrayDeque<>();
    private final ArrayDeque<Waiter> second = new ArrayDeque<>();
    private int held;

    /**
     * @param permits  held at most at once
     * @param reserved of those, how many only the first lane may take (less than {@code permits})
     */
    TwoLanePermits(int permits, int reserved) {
        if (permits < 1 || reserved < 0 || reserved >= permits) throw new IllegalArgumentException(permits + "/" + reserved);
        this.permits = permits;
        this.reserved = reserved;
    }

    /** Takes a permit, waiting at most {@code timeoutNanos}; false when the time ran out. */
    boolean acquire(boolean firstLane, long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            boolean ahead = firstLane ? !first.isEmpty() : !first.isEmpty() || !second.isEmpty();
            if (!ahead && held < limit(firstLane)) {
                held++;
                return true;
            }
            Waiter w = new Waiter(lock.newCondition());
            ArrayDeque<Waiter> lane = firstLane ? first : second;
            lane.add(w);
            long nanos = timeoutNanos;
            try {
                while (!w.granted) {
                    if (nanos <= 0) {
                        giveUp(lane, w);
                        return false;
                    }
                    nanos = w.turn.awaitNanos(nanos);
                }
                return true;
            } catch (InterruptedException e) {
                if (w.granted) releaseLocked();
                else giveUp(lane, w);
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    void release() {
        lock.lock();
        try {
            releaseLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Permits held now. */
    int held() {
        lock.lock();
        try {
            return held;
        } finally {
            lock.unlock();
        }
    }

    /** Waiters now, both lanes. */
    int waiting() {
        lock.lock();
        try {
            return first.size() + second.size();
        } finally {
            lock.unlock();
        }
    }

    private int limit(boolean firstLane) { return firstLane ? permits : permits - reserved; }

    private void releaseLocked() {
        if (held <= 0) throw new IllegalStateException("release without acquire");
        held--;
        grantLocked();
    }

    /** A first-lane waiter that leaves may unblock the second lane. */
    private void giveUp(ArrayDeque<Waiter> lane, Waiter w) {
        lane.remove(w);
        grantLocked();
    }

    private void grantLocked() {
        while (true) {
            Waiter next = !first.isEmpty() && held < limit(true) ? first.poll()
                    : first.isEmpty() && !second.isEmpty() && held < limit(false) ? second.poll() : null;
            if (next == null) return;
            held++;
            next.granted = true;
            next.turn.signal();
        }
    }
}
