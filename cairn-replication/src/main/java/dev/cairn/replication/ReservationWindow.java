// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.MailboxId;
import dev.cairn.store.replication.Reservation;
import dev.cairn.store.replication.SlotReplication;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a master knows of its replicas' UID/MODSEQ reservations (what each acknowledged holding
 * durably: a lower bound of what it holds), and the window a commit may go beyond them when no
 * replica takes a reservation. A promoted replica jumps past its own reservation and its own
 * UIDNEXT by the same window, since it cannot know what its master did after the link broke; so
 * every UID handed out under one UIDVALIDITY stays unique as long as the master hands out no UID
 * past the window of any replica that could be promoted. A mailbox that would pass it gets a new
 * UIDVALIDITY first; from then on its window counts from the first UID under the new one too: a
 * replica that does not know the new UIDVALIDITY cannot collide under it, and one that does has
 * every UID below that first one, so its promotion jumps past it by the window.
 *
 * <p>The window counts the replicas that may be promoted as in step with this master: all of them,
 * except after this slot's own promotion, where the former master and the other replicas count
 * only once they have caught up with it. Until then none of them holds anything this master
 * wrote, so none can be promoted over it as if in step (the former master, fenced by this epoch,
 * is out of step until it has caught up), and a failover does not give every mailbox the new
 * master writes to a new UIDVALIDITY while the former master is away. After a restart every
 * replica counts again (whether one was in step is not kept). Thread-safe.
 */
final class ReservationWindow {
    private final List<String> replicas;
    private final long uidWindow;
    /** Per replica, per user: the largest reservation the replica acknowledged. */
    private final Map<String, Map<String, Reservation>> acked = new ConcurrentHashMap<>();
    /** Per user, per mailbox: the first UID under the UIDVALIDITY this master last gave the mailbox. */
    private final Map<String, Map<MailboxId, Long>> renewed = new ConcurrentHashMap<>();

    /** The replicas the window counts (see above). */
    private final Set<String> counted = ConcurrentHashMap.newKeySet();

    /** @param countAll false: just promoted; a replica counts once it has caught up ({@link #inStep}) */
    ReservationWindow(Collection<String> replicas, long uidWindow, boolean countAll) {
        this.replicas = List.copyOf(replicas);
        this.uidWindow = uidWindow;
        for (String r : replicas) acked.put(r, new ConcurrentHashMap<>());
        if (countAll) counted.addAll(replicas);
    }

    /** The replica has caught up with this master: from now on it could be promoted in step. */
    void inStep(String replica) { counted.add(replica); }

    boolean counts(String replica) { return counted.contains(replica); }

    long uidWindow() { return uidWindow; }

    List<String> replicas() { return replicas; }

    /** The replica holds this reservation durably now. */
    void acknowledged(String replica, String user, Reservation r) {
        acked.get(replica).merge(user, r, Reservation::max);
    }

    Reservation of(String replica, String user) { return acked.get(replica).getOrDefault(user, Reservation.NONE); }

    /** The largest reservation any replica acknowledged, field by field (what a new request starts from). */
    Reservation largest(String user) {
        Reservation m = Reservation.NONE;
        for (String r : replicas) m = m.max(of(r, user));
        return m;
    }

    static boolean holds(Reservation have, long seq, Map<MailboxId, Long> highestUids) {
        if (seq > have.seq()) return false;
        for (Map.Entry<MailboxId, Long> e : highestUids.entrySet()) if (e.getValue() > have.uid(e.getKey())) return false;
        return true;
    }

    boolean heldBy(String replica, String user, long seq, Map<MailboxId, Long> highestUids) {
        return holds(of(replica, user), seq, highestUids);
    }

    /** A commit of the user gave the mailbox a new UIDVALIDITY; its UIDs start at {@code firstUid}. */
    void renewed(String user, MailboxId mailbox, long firstUid) {
        renewed.computeIfAbsent(user, u -> new ConcurrentHashMap<>()).merge(mailbox, firstUid, Math::max);
    }

    /**
     * The mailboxes in which the commit hands out a UID past the window of a replica the window
     * counts: past the larger of its acknowledged reservation and the UID before the first under
     * the mailbox's current UIDVALIDITY (when this master gave it), plus the window.
     */
    Set<MailboxId> passed(String user, Map<MailboxId, Long> highestUids) {
        Set<MailboxId> out = new HashSet<>();
        Map<MailboxId, Long> renewedAt = renewed.getOrDefault(user, Map.of());
        for (String r : counted) {
            Reservation have = of(r, user);
            for (Map.Entry<MailboxId, Long> e : highestUids.entrySet()) {
                long base = Math.max(have.uid(e.getKey()), renewedAt.getOrDefault(e.getKey(), 1L) - 1);
                if (e.getValue() > base + uidWindow) out.add(e.getKey());
            }
        }
        return out;
    }

    /** Whether the commit's MODSEQ is past some replica's MODSEQ window (2^32 past its reservation). */
    boolean seqPassed(String user, long seq) {
        for (String r : counted) if (seq > of(r, user).seq() + SlotReplication.MODSEQ_WINDOW) return true;
        return false;
    }
}
