// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.StoreException;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster master's side of the store record's in-sync set (cairn-cluster's README, "Record
 * formats"): the record lists only replicas that hold everything this master acknowledged.
 *
 * <ul>
 *   <li>Before a commit is acknowledged ({@link #beforeAcknowledging}), every replica the record
 *       may list must be one that may stay ({@link Replicas#mayStay}); one that may not is taken
 *       out of the record first (compare-and-set through the {@link InSyncPublisher}), and the
 *       commit waits for that, at most {@code timeout}, then fails UNAVAILABLE (IMAP
 *       NO [UNAVAILABLE], LMTP 451 4.3.0): no ZooKeeper, or a record at a newer epoch, means no
 *       acknowledgement, as with {@code on_replica_loss = "refuse"}.
 *   <li>A replica is put back ({@link Replicas#mayJoin}) by this object's thread, after its master
 *       told it in sync: late (the next look, every {@link #EVERY}), never early. While that
 *       write is on its way the replica counts as listed (what the record says is not known).
 *   <li>A replica the master counts out of sync is taken out only when an acknowledgement needs
 *       it: until then it lacks nothing acknowledged, and the record saying so is true (a store's
 *       first moments, before its replica caught up with a new master, cost no write).
 * </ul>
 *
 * Until the first publication succeeds every replica counts as listed (the record was written by
 * someone else: {@code cairn store create}, the controller's promotion).
 */
final class InSyncPublication {
    private static final Logger log = LoggerFactory.getLogger(InSyncPublication.class);
    /** How often the thread looks whether a replica may be put back, besides being woken. */
    static final Duration EVERY = Duration.ofMillis(250);

    /** What the master knows of its replicas, asked by this object. */
    interface Replicas {
        Set<String> all();

        /**
         * Whether the replica may stay in the record once the commit of {@code user} at {@code seq}
         * is acknowledged ({@code user} null: with nothing more acknowledged); may take it out
         * of the master's in-sync set (a commit it lacks, acknowledged without it).
         */
        boolean mayStay(String replica, String user, long seq);

        /** Whether the replica may be put back: in sync, told so, holding everything committed, and waited for. */
        boolean mayJoin(String replica);
    }

    private final String store;
    private final LongSupplier epoch;
    private final InSyncPublisher publisher;
    private final Replicas replicas;
    private final long timeoutNanos;
    /** What the record may list: a superset of what it lists (null: not known, every replica). Changed under this object's lock. */
    private volatile Set<String> mayBeListed;
    private volatile boolean stopped;
    /** The next look publishes as if an acknowledgement needed it. */
    private volatile boolean eager;
    private volatile String lastFailure = "not published yet";
    private boolean failureLogged;
    /** Acknowledgements waiting for a replica to leave the record (under this object's lock). */
    private volatile int waiting;
    /** An acknowledgement woke the thread (under this object's lock): it looks again before it waits. */
    private boolean woken;
    private Thread thread;

    /**
     * @param promoted the master was just promoted: no replica is in sync with it yet, so the record
     *                 is brought to that at once instead of at its first write (a failover's first
     *                 acknowledgement does not wait for it)
     */
    InSyncPublication(String store, LongSupplier epoch, InSyncPublisher publisher, Replicas replicas, Duration timeout, boolean promoted) {
        this.store = store;
        this.eager = promoted;
        this.epoch = epoch;
        this.publisher = publisher;
        this.replicas = replicas;
        this.timeoutNanos = timeout.toNanos();
    }

    void start() {
        thread = FailureLog.loggedThreads(log, "cairn-repl-insync-record-" + store).start(this::run);
    }

    /** The store is no longer mastered here: commits waiting for a publication fail. */
    void stop() {
        stopped = true;
        if (thread != null) thread.interrupt();
        synchronized (this) {
            notifyAll();
        }
    }

    /** The replicas the record may list now (what the master's acknowledgements are checked against). */
    Set<String> mayBeListed() {
        Set<String> l = mayBeListed;
        return l == null ? replicas.all() : l;
    }

    /**
     * Before the commit of {@code user} at {@code seq} is acknowledged: returns at once while every
     * replica the record may list may stay; else wakes the thread to take those out and waits for
     * the record to say so, at most the timeout.
     *
     * @throws StoreException UNAVAILABLE when the record could not be changed in time
     */
    void beforeAcknowledging(String user, long seq) {
        if (safe(user, seq)) return;
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (this) {
            waiting++;
            woken = true;
            notifyAll();
            try {
                while (!safe(user, seq)) {
                    long left = deadline - System.nanoTime();
                    if (stopped || left <= 0) {
                        throw new StoreException(StoreException.Reason.UNAVAILABLE, "store " + store + ": replica(s) " + mayBeListed()
                                + " could not be taken out of the store record's in-sync set before acknowledging a change they lack ("
                                + (stopped ? "no longer mastered here" : lastFailure) + "): not acknowledged");
                    }
                    try {
                        wait(Math.max(1, left / 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new StoreException(StoreException.Reason.UNAVAILABLE, "interrupted while publishing the in-sync set");
                    }
                }
            } finally {
                waiting--;
            }
        }
    }

    private boolean safe(String user, long seq) {
        for (String r : mayBeListed()) if (!replicas.mayStay(r, user, seq)) return false;
        return true;
    }

    private void run() {
        while (!stopped) {
            // Out only when an acknowledgement needs it (a replica the master counts out that lacks
            // nothing acknowledged is still truly in sync); back as soon as it may.
            boolean needed = waiting > 0 || eager, known = mayBeListed != null, publish = known;
            Set<String> want = new TreeSet<>();
            Set<String> listed = mayBeListed();
            publish |= needed;
            for (String r : replicas.all()) {
                // Not known whether the record lists it: only one that may join is written in.
                boolean stay = known && listed.contains(r) && (!needed || replicas.mayStay(r, null, 0));
                boolean join = !stay && replicas.mayJoin(r);
                publish |= join;
                if (stay || join) want.add(r);
            }
            if (publish && (!known || !want.equals(listed))) {
                synchronized (this) {
                    Set<String> union = new TreeSet<>(mayBeListed());
                    union.addAll(want);
                    mayBeListed = Set.copyOf(union); // a replica being put back counts as listed from now on
                }
                try {
                    publisher.publish(store, epoch.getAsLong(), Set.copyOf(want));
                    synchronized (this) {
                        mayBeListed = Set.copyOf(want);
                        notifyAll();
                    }
                    eager = false;
                    log.info("store {}: the store record's in-sync set is now {}", store, want);
                    failureLogged = false;
                } catch (Exception e) {
                    if (stopped) return;
                    lastFailure = e.toString();
                    if (!failureLogged) {
                        log.warn("store {}: cannot publish the in-sync set {} in the store record (writes that need it wait, then fail): {}",
                                store, want, e.toString());
                        failureLogged = true;
                    }
                }
            }
            try {
                synchronized (this) {
                    if (!woken) wait(EVERY.toMillis());
                    woken = false;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
