// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The cluster's write lease as this node's masters ask it ({@link WriteGate.Lease}): a commit is
 * started and acknowledged only while the lease says true (a volatile read per commit). When it says
 * false the commit waits up to the hold for it to come back (a connection to ZooKeeper that returns
 * with the same session: a ZooKeeper leader's election), then fails UNAVAILABLE. Without a cluster
 * it stays always true. Set by {@link Replication#fenceAcknowledgements}.
 */
final class AcknowledgementFence implements WriteGate.Lease {
    /** Whether the node has closed: nobody waits for the lease any more. */
    private final BooleanSupplier closed;
    private volatile BooleanSupplier lease = () -> true;
    private volatile long holdNanos;

    AcknowledgementFence(BooleanSupplier closed) { this.closed = closed; }

    /** From now on commits ask {@code lease}, and wait up to {@code hold} while it says false. */
    void set(BooleanSupplier lease, Duration hold) {
        this.holdNanos = hold.toNanos();
        this.lease = lease;
    }

    /**
     * The lease now, or within the hold (polled every 10 ms; a slow answer, not a failure, while
     * ZooKeeper elects a leader) and then only if {@code afterWait} says so.
     */
    @Override public boolean mayAcknowledge(BooleanSupplier afterWait) {
        BooleanSupplier l = lease;
        if (l.getAsBoolean()) return true;
        long start = System.nanoTime(), hold = holdNanos;
        while (System.nanoTime() - start < hold && !closed.getAsBoolean()) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (l.getAsBoolean()) return afterWait.getAsBoolean();
        }
        return false;
    }
}
