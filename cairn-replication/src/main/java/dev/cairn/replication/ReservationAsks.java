// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.ReplicationConfig.Mode;
import dev.cairn.replication.ReplicationConfig.OnReplicaLoss;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import dev.cairn.replication.ReplicationConfig.Tuning;
import dev.cairn.store.MailboxId;
import dev.cairn.store.StoreException;
import dev.cairn.store.replication.Reservation;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What a store's master asks its replicas to reserve before a commit hands out MODSEQs and UIDs
 * none of them holds yet: the commit's needs plus a block, on top of the largest reservation known
 * ({@code uid_block}, {@code modseq_block}); asked of every connected replica on the user's
 * channel, waiting (up to {@code sync_timeout}) for the first that holds it, or, when one holds it
 * already, asked without waiting of the others that lack it. What they acknowledge goes to the
 * {@link ReservationWindow}. Thread-safe: the committing threads call it.
 */
final class ReservationAsks {
    private final StoreSpec spec;
    private final Tuning tuning;
    private final ReservationWindow window;
    private final Map<String, ChannelSender[]> senders;
    /** Whether the store is degraded (no replica takes its writes) and whether it stopped being mastered here. */
    private final BooleanSupplier degraded, stopped;
    /** Reservations asked without waiting (replica + NUL + user), so a busy user asks once at a time. */
    private final Map<String, Boolean> asking = new ConcurrentHashMap<>();

    ReservationAsks(StoreSpec spec, Tuning tuning, ReservationWindow window, Map<String, ChannelSender[]> senders,
                    BooleanSupplier degraded, BooleanSupplier stopped) {
        this.spec = spec;
        this.tuning = tuning;
        this.window = window;
        this.senders = senders;
        this.degraded = degraded;
        this.stopped = stopped;
    }

    /** What to ask a replica for: the commit's needs plus a block, on top of the largest reservation known. */
    private Reservation wanted(String user, long seq, Map<MailboxId, Long> highestUids) {
        Reservation have = window.largest(user);
        Map<MailboxId, Long> uids = new HashMap<>(have.uids());
        for (Map.Entry<MailboxId, Long> e : highestUids.entrySet()) {
            if (e.getValue() > have.uid(e.getKey()) - tuning.uidBlock() / 2) uids.put(e.getKey(), e.getValue() + tuning.uidBlock());
        }
        return new Reservation(Math.max(have.seq(), seq + tuning.modSeqBlock()), uids, Math.max(have.otherUids(), tuning.uidBlock()));
    }

    /** Asks a reservation of the reachable replicas; true as soon as one holds it, false when none did in time. */
    boolean reserve(String user, long seq, Map<MailboxId, Long> highestUids, int channel) {
        Reservation wanted = wanted(user, seq, highestUids);
        long deadline = System.nanoTime() + tuning.syncTimeout().toNanos();
        while (true) {
            Map<String, CompletableFuture<Void>> asked = new java.util.LinkedHashMap<>();
            for (String r : window.replicas()) {
                ChannelSender c = senders.get(r)[channel];
                if (c.connected()) asked.put(r, ask(r, c, user, wanted));
            }
            // Async mode, or degraded already: nobody to ask means nobody to wait for.
            if (asked.isEmpty() && (degraded.getAsBoolean() || spec.mode() == Mode.ASYNC && spec.onReplicaLoss() == OnReplicaLoss.DEGRADE)) {
                return false;
            }
            for (Map.Entry<String, CompletableFuture<Void>> f : asked.entrySet()) {
                try {
                    f.getValue().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    window.acknowledged(f.getKey(), user, wanted); // now, not only in the future's own callback
                    return true;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StoreException(StoreException.Reason.UNAVAILABLE, "interrupted while reserving UIDs");
                } catch (Exception e) {
                    // try the next replica
                }
            }
            if (stopped.getAsBoolean() || System.nanoTime() > deadline) return false;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException(StoreException.Reason.UNAVAILABLE, "interrupted while reserving UIDs");
            }
        }
    }

    /** Asks the connected replicas that lack the reservation, without waiting; one request per replica and user at a time. */
    void askLacking(String user, long seq, Map<MailboxId, Long> highestUids, int channel) {
        Reservation wanted = null;
        for (String r : window.replicas()) {
            ChannelSender c = senders.get(r)[channel];
            if (window.heldBy(r, user, seq, highestUids) || !c.connected()) continue;
            if (asking.putIfAbsent(r + "\0" + user, Boolean.TRUE) != null) continue;
            if (wanted == null) wanted = wanted(user, seq, highestUids);
            ask(r, c, user, wanted).whenComplete((v, e) -> asking.remove(r + "\0" + user));
        }
    }

    private CompletableFuture<Void> ask(String replica, ChannelSender c, String user, Reservation wanted) {
        CompletableFuture<Void> f = c.reserve(user, wanted);
        f.thenRun(() -> window.acknowledged(replica, user, wanted));
        return f;
    }
}
