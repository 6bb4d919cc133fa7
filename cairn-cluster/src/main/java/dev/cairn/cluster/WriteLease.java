// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.function.LongSupplier;

/**
 * Whether this node may acknowledge writes for its masters now: the fence where data is written
 * (package-info has the arithmetic). The commit path asks {@link #mayAcknowledge} before it
 * acknowledges; two volatile reads and a clock read.
 *
 * <p>It holds only while all of these are true:
 * <ul>
 *   <li>the node learned the store map on its current ZooKeeper session ({@link #grant}, after a
 *       fresh read of every store record was delivered to the node);
 *   <li>the connection is up: {@link #suspend} from the moment Curator says SUSPENDED or LOST
 *       until it says RECONNECTED with the SAME session ({@link #reconnected});
 *   <li>less than half the session timeout has passed since a request that the ensemble answered
 *       was sent ({@link #heard}): ZooKeeper cannot have expired the session before that request
 *       arrived plus a whole session timeout, so the lease ends at least half a session timeout
 *       before the session can end, however long this JVM was paused or the network silent.
 * </ul>
 * A new session never reopens it: the node must first re-learn the map on that session (its
 * masters may have moved meanwhile); {@link ClusterMember} does that and then calls {@link #grant}.
 */
public final class WriteLease {
    private final LongSupplier nanoClock;
    /** The end of the lease, by {@link #nanoClock}; only ever moved forward within one session. */
    private volatile long validUntil;
    private volatile boolean open;
    /** Guarded by this: the session the lease is for (0: none), and a count of suspensions. */
    private long session;
    private long generation;
    private long windowNanos;
    private boolean closed;

    public WriteLease() {
        this(System::nanoTime);
    }

    WriteLease(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** Whether a write may be acknowledged now. */
    public boolean mayAcknowledge() {
        return open && validUntil - nanoClock.getAsLong() > 0;
    }

    /** The session this lease is (or was last) for; 0 before the first grant. */
    public synchronized long session() { return session; }

    /** Now, by the lease's clock (what a heartbeat notes as its send time). */
    long now() { return nanoClock.getAsLong(); }

    /** The current count of suspensions: a heartbeat notes it when sent. */
    synchronized long generation() { return generation; }

    /**
     * Opens the lease for {@code sessionId} (granted {@code sessionTimeoutMillis} by the ensemble)
     * once the node has learned the map on it; {@code provenAt} is when the request that proved
     * the session alive was sent (before that read), while the count of suspensions was
     * {@code generationAtProof}. False (and nothing changes) when the connection was suspended
     * since: the node must learn the map again.
     */
    synchronized boolean grant(long sessionId, long sessionTimeoutMillis, long provenAt, long generationAtProof) {
        // suspended since the proof: the connection that proved it is gone
        if (closed || generationAtProof != generation) return false;
        session = sessionId;
        windowNanos = sessionTimeoutMillis * 1_000_000L / 2;
        generation++;
        validUntil = provenAt + windowNanos;
        open = true;
        return true;
    }

    /** The connection is suspended or lost: no acknowledgement from now on, answers in flight do not count. */
    synchronized void suspend() {
        open = false;
        generation++;
    }

    /**
     * The connection is back. With the lease's own session the lease opens again (it still ends
     * where the last answered request put it, until the next one); with another session it stays
     * shut and false is returned: the map must be learned again first.
     */
    synchronized boolean reconnected(long sessionId) {
        if (closed || sessionId != session || session == 0) return false;
        generation++;
        open = true;
        return true;
    }

    /**
     * A request sent at {@code sentAt} on {@code sessionId}, while the count of suspensions was
     * {@code generationAtSend}, was answered: the session was alive when the request arrived.
     */
    synchronized void heard(long sessionId, long generationAtSend, long sentAt) {
        if (closed || sessionId != session || generationAtSend != generation) return;
        long until = sentAt + windowNanos;
        if (until - validUntil > 0) validUntil = until;
    }

    /** The node leaves the cluster: never again. */
    synchronized void close() {
        closed = true;
        open = false;
    }

    @Override public synchronized String toString() {
        long left = validUntil - nanoClock.getAsLong();
        return "WriteLease[session=0x" + Long.toHexString(session) + (open ? ", open" : ", shut")
                + ", " + (left > 0 ? left / 1_000_000 + " ms left" : "lapsed") + "]";
    }
}
