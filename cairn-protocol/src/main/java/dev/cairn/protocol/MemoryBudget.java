// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The octets that sessions of one node may hold in memory for commands in flight (IMAP command
 * lines and literals, LMTP messages below the spool threshold), shared by every listener. A
 * session takes its share before it reads the octets, so many connections sending large commands
 * at once get a refusal (IMAP {@code NO [UNAVAILABLE]}) or go to disk, never OutOfMemoryError.
 *
 * <p>Each command takes from the budget through a {@link Lease}, which also caps what one command
 * (one connection: a session reads one command at a time) may hold.
 */
public final class MemoryBudget {
    /** Why a {@link Lease#take} was refused, or that it was not. */
    public enum Grant {
        GRANTED,
        /** The command would hold more than its lease allows. */
        OVER_LEASE,
        /** The node's budget is spent by all connections together; try again later. */
        OVER_BUDGET
    }

    private final long capacity;
    private final AtomicLong used = new AtomicLong();

    public MemoryBudget(long capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity " + capacity);
        this.capacity = capacity;
    }

    /** A quarter of the JVM's maximum heap: what is left covers caches, the store and the sessions' fixed buffers. */
    public static MemoryBudget quarterOfHeap() { return new MemoryBudget(Runtime.getRuntime().maxMemory() / 4); }

    public long capacity() { return capacity; }

    /** Octets held now by all leases. */
    public long used() { return used.get(); }

    /** Takes {@code octets} if they fit; false (and nothing taken) if not. */
    public boolean tryTake(long octets) {
        if (octets < 0) throw new IllegalArgumentException("octets " + octets);
        while (true) {
            long now = used.get();
            if (octets > capacity - now) return false;
            if (used.compareAndSet(now, now + octets)) return true;
        }
    }

    /** Returns octets taken with {@link #tryTake}. */
    public void give(long octets) {
        if (used.addAndGet(-octets) < 0) throw new IllegalStateException("more given back than taken");
    }

    /** A share for one command of at most {@code limit} octets; close it when the command is done. */
    public Lease lease(long limit) { return new Lease(limit); }

    /** What one command holds; used by one thread at a time. */
    public final class Lease implements AutoCloseable {
        private final long limit;
        private long held;

        private Lease(long limit) {
            if (limit < 0) throw new IllegalArgumentException("limit " + limit);
            this.limit = limit;
        }

        /** Takes {@code octets} more for this command, checking its own limit first, then the node's. */
        public Grant take(long octets) {
            if (octets > limit - held) return Grant.OVER_LEASE;
            if (!tryTake(octets)) return Grant.OVER_BUDGET;
            held += octets;
            return Grant.GRANTED;
        }

        public long held() { return held; }

        /** Gives back everything this command held. */
        @Override public void close() {
            if (held > 0) give(held);
            held = 0;
        }
    }
}
