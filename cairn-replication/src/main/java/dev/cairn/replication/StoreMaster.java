// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.ReplicationConfig.Mode;
import dev.cairn.replication.ReplicationConfig.OnReplicaLoss;
import dev.cairn.replication.ReplicationConfig.SlotRef;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import dev.cairn.replication.ReplicationConfig.Tuning;
import dev.cairn.store.BodyId;
import dev.cairn.store.MailboxId;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.CommitHook;
import dev.cairn.store.replication.SyncState;
import dev.cairn.store.replication.UidWindowPassed;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master side of one store on this node: the slot's commit hook (UID/MODSEQ reservation
 * before a commit, asked of the replicas by {@link ReservationAsks}; shipping after it; the
 * sync-mode wait, its waiting commits in {@link SyncWaiters}), one {@link ChannelSender} per
 * replica and channel, the sync/async state, and what it tells status and metrics.
 */
final class StoreMaster implements CommitHook {
    private static final Logger log = LoggerFactory.getLogger(StoreMaster.class);

    private final StoreSpec spec;
    private final Tuning tuning;
    private final SlotStore slot;
    private final BiConsumer<String, Long> onNewerEpoch;
    final Map<String, ChannelSender[]> senders = new HashMap<>();
    /** Per replica: whether its channels are connected, since when, its last Ack (status, metrics, the once-per-change log lines). */
    private final Map<String, PeerLink> links = new HashMap<>();
    /** Removes the per-replica gauges when the store stops being mastered here. */
    private final List<Runnable> unregister = new ArrayList<>();
    private final Map<String, Long> replicated = new ConcurrentHashMap<>();
    /** Sync-mode commits waiting for a replica, per user: each is woken by its own user's Ack only. */
    private final SyncWaiters waiting = new SyncWaiters();
    private final List<String> report = java.util.Collections.synchronizedList(new ArrayList<>());
    /**
     * Upper bounds of the delay histogram: 15 buckets from 0.5 ms to 60 s per replica, instead of
     * Micrometer's ~90 of a percentile histogram, so a scrape stays small per store and replica.
     */
    private static final java.time.Duration[] DELAY_BUCKETS = java.util.stream.LongStream.of(
            500_000L, 1_000_000L, 2_500_000L, 5_000_000L, 10_000_000L, 25_000_000L, 50_000_000L, 100_000_000L,
            250_000_000L, 500_000_000L, 1_000_000_000L, 2_500_000_000L, 5_000_000_000L, 15_000_000_000L, 60_000_000_000L)
            .mapToObj(java.time.Duration::ofNanos).toArray(java.time.Duration[]::new);

    private final Counter degradations;
    /** Per replica: the time from a commit here to the replica's acknowledgement of it. */
    private final Map<String, Timer> delays = new HashMap<>();
    private volatile boolean stopped;
    /** Null while a replica takes this store's writes; else since when none does. */
    private volatile java.time.Instant degradedSince;
    private final ReservationWindow window;
    /** The reservations commits ask the replicas for. */
    private final ReservationAsks reservations;
    /** Which replicas hold everything this master acknowledged. */
    final InSyncSet inSync;
    private Thread inSyncEvaluator;
    /** The store record's in-sync set, kept true by this master (a cluster node only; null otherwise). */
    private final InSyncPublication published;
    /** In front of this hook: a switchover's commits wait at it. */
    final WriteGate gate;
    /** Became master by promotion at this start: no replica holds what it writes until one has caught up. */
    final boolean promoted;

    /**
     * @param keys     the cluster secret and TLS context (null: plain TCP to the replicas), read at each connection
     * @param promoted whether this node just became master by promotion (see {@link ReservationWindow})
     * @param lease    the cluster's write lease (see {@link WriteGate}); always true without a cluster
     * @param record   where the store record's in-sync set is published (null: no cluster, nothing published)
     * @param users    the node's per-user fences (online user moves)
     */
    StoreMaster(StoreSpec spec, String node, ReplicationKeys keys, Tuning tuning, SlotStore slot,
                java.util.function.Function<String, InetSocketAddress> peers, SlotRef self, MeterRegistry meters, BiConsumer<String, Long> onNewerEpoch,
                boolean promoted, WriteGate.Lease lease, InSyncPublisher record, UserHolds users) {
        this.spec = spec;
        // After a wait for the lease: a store that moved meanwhile (the new session's map fenced the
        // slot before the lease opened again) is not acknowledged here.
        this.gate = new WriteGate(this, spec.name(), () -> lease.mayAcknowledge(() -> !stopped && slot.replication().fenceReason() == null), users);
        this.tuning = tuning;
        this.slot = slot;
        this.onNewerEpoch = onNewerEpoch;
        for (SlotRef r : spec.slots()) {
            if (r.equals(self)) continue;
            if (peers.apply(r.node()) == null) throw new IllegalArgumentException("no address for node " + r.node());
            ChannelSender[] cs = new ChannelSender[slot.channels()];
            ChannelListener events = new ReplicaEvents(r.node());
            PeerLink link = new PeerLink(LoggerFactory.getLogger(ChannelSender.class), "replica " + r.node() + " of store " + spec.name(), "retrying", cs.length);
            links.put(r.node(), link);
            for (int i = 0; i < cs.length; i++) {
                cs[i] = new ChannelSender(new ChannelConfig(spec.name(), node, keys, tuning, r.node(), () -> peers.apply(r.node()), i), slot, events, link);
            }
            senders.put(r.node(), cs);
        }
        this.inSync = new InSyncSet(spec.name(), slot, tuning.syncTimeout(), senders);
        this.window = new ReservationWindow(senders.keySet(), tuning.degradedUidWindow(), !promoted);
        this.reservations = new ReservationAsks(spec, tuning, window, senders, this::degraded, () -> stopped);
        this.promoted = promoted;
        this.published = record == null || senders.isEmpty() ? null
                : new InSyncPublication(spec.name(), () -> slot.replication().epoch(), record, new RecordedReplicas(this, spec.mode(), slot), tuning.syncTimeout(), promoted);
        for (String replica : senders.keySet()) {
            delays.put(replica, Timer.builder("cairn.replication.delay").tag("store", spec.name()).tag("replica", replica)
                    .description("time from a commit on the master to the replica's acknowledgement of it")
                    .serviceLevelObjectives(DELAY_BUCKETS).register(meters));
        }
        this.degradations = Counter.builder("cairn.replication.sync.fallbacks").tag("store", spec.name())
                .description("times the store fell back from sync to async").register(meters);
        unregister.add(ReplicaMeters.registerStore(meters, spec.name(), this));
        for (String replica : senders.keySet()) unregister.add(ReplicaMeters.register(meters, spec.name(), replica, () -> replicaStatus(replica)));
    }

    void start() {
        slot.replication().setHook(gate);
        for (ChannelSender[] cs : senders.values()) for (ChannelSender c : cs) c.start();
        if (senders.isEmpty()) return;
        // Its former master, usually dead, is now its replica: the first commit should not wait
        // sync_timeout for it. Degraded (or refusing) until a replica has caught up with it.
        if (promoted) enterDegraded("promoted, and no replica has caught up with this master yet");
        if (published != null) published.start();
        inSyncEvaluator = FailureLog.loggedThreads(log, "cairn-repl-insync-" + spec.name()).start(() -> {
            while (!stopped) {
                try {
                    Thread.sleep(InSyncSet.EVERY);
                    inSync.evaluate();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    if (!stopped) log.warn("store {}: evaluating the in-sync set failed: {}", spec.name(), e.toString());
                }
            }
        });
    }

    void stop() {
        stopped = true;
        gate.shut("store " + spec.name() + " is no longer mastered here");
        if (inSyncEvaluator != null) inSyncEvaluator.interrupt();
        if (published != null) published.stop();
        slot.replication().setHook(null);
        for (ChannelSender[] cs : senders.values()) for (ChannelSender c : cs) c.stop();
        for (PeerLink l : links.values()) l.failures().flush();
        unregister.forEach(Runnable::run);
        waiting.releaseAll();
    }

    /**
     * Whether commits wait for a replica: sync mode while not degraded; with on_replica_loss =
     * refuse always (a commit no replica applied in time is refused instead).
     */
    boolean syncActive() {
        return spec.mode() == Mode.SYNC && !senders.isEmpty() && (!degraded() || spec.onReplicaLoss() == OnReplicaLoss.REFUSE);
    }

    boolean degraded() { return degradedSince != null; }

    /** Since when no replica takes this store's writes (null: one does). */
    java.time.Instant degradedSince() { return degradedSince; }

    OnReplicaLoss onReplicaLoss() { return spec.onReplicaLoss(); }

    // --- the commit hook -----------------------------------------------------------------------

    /**
     * A commit may hand out MODSEQs and UIDs a replica holds (reserved durably); else it asks
     * every reachable replica to reserve more and goes on at the first that has. With none
     * (unreachable, or no answer: async mode at once when none is connected, else after
     * {@code sync_timeout}) the store degrades and the commit goes on within the window
     * ({@link ReservationWindow}), or, with {@code on_replica_loss = "refuse"}, is refused. A
     * degraded store does not wait again until a replica is back.
     */
    @Override public void beforeCommit(String user, long seq, Map<MailboxId, Long> highestUids) {
        if (senders.isEmpty()) return;
        int channel = slot.channelOf(user);
        if (spec.onReplicaLoss() == OnReplicaLoss.REFUSE && !awaitConnected(channel)) {
            enterDegraded("no replica reachable");
            throw refused();
        }
        boolean held = false, heldByAll = true;
        for (String r : window.replicas()) {
            if (window.heldBy(r, user, seq, highestUids)) held = true;
            else heldByAll = false;
        }
        if (heldByAll) return;
        if (!held) held = reservations.reserve(user, seq, highestUids, channel);
        else reservations.askLacking(user, seq, highestUids, channel); // a replica that was away catches up on reservations too
        if (!held) {
            if (stopped) {
                throw new StoreException(StoreException.Reason.UNAVAILABLE, "store " + spec.name() + " is no longer mastered here");
            }
            enterDegraded("no replica reachable to reserve UIDs");
            if (spec.onReplicaLoss() == OnReplicaLoss.REFUSE) throw refused();
        }
        Set<MailboxId> passed = window.passed(user, highestUids);
        if (!passed.isEmpty()) throw new UidWindowPassed(passed);
        if (window.seqPassed(user, seq, r -> senders.get(r)[channel].acked(user))) {
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "store " + spec.name() + ": " + user
                    + " has used up the MODSEQs a master may hand out without a replica");
        }
    }

    private StoreException refused() {
        return new StoreException(StoreException.Reason.UNAVAILABLE, "store " + spec.name()
                + ": no replica reachable; writes are refused until one is back (on_replica_loss = refuse)");
    }

    /** Whether a replica is connected on the channel, waiting up to sync_timeout for one unless the store is degraded already. */
    private boolean awaitConnected(int channel) {
        long deadline = System.nanoTime() + tuning.syncTimeout().toNanos();
        while (true) {
            for (ChannelSender[] cs : senders.values()) if (cs[channel].connected()) return true;
            if (degraded() || stopped || System.nanoTime() > deadline) return false;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    @Override public void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, byte[]> bodies) {
        for (Change c : record.changes()) {
            if (c instanceof Change.UidValidityChanged v) {
                // Under the user's lock, the commit published: its UIDNEXT is the first UID under the new one.
                long firstUid = slot.user(record.user()).mailbox(v.mailbox()).map(dev.cairn.store.MailboxInfo::uidNext).orElse(1L);
                window.renewed(record.user(), v.mailbox(), firstUid);
                log.warn("store {}: {}: mailbox {} passed the UID window of {} without a replica: new UIDVALIDITY {}",
                        spec.name(), record.user(), v.mailbox().value(), window.uidWindow(), v.uidValidity());
            }
        }
        // A new life of the user (created again after a deletion, at a lower seq): what replicas
        // acknowledged of the earlier one must not count for its commits.
        if (previous == 0) replicated.remove(record.user());
        int channel = slot.channelOf(record.user());
        for (ChannelSender[] cs : senders.values()) cs[channel].committed(record, previous, encoded, bodies);
    }

    /**
     * Sync mode's wait for a replica (below), then, on a cluster node, the store record: a replica
     * it lists that lacks the commit is taken out of it before the commit is acknowledged.
     */
    @Override public void awaitReplicated(String user, long seq) {
        awaitReplica(user, seq);
        if (published != null) published.beforeAcknowledging(user, seq);
    }

    /**
     * Whether a replica has the user's commit at seq: acknowledged it, or, for the user's deletion,
     * let go of the user too (the replica reports such a user at 0; {@link UserDeletions}).
     */
    private boolean replicaHas(String user, long seq) {
        if (replicated.getOrDefault(user, 0L) >= seq) return true;
        int channel = slot.channelOf(user);
        for (ChannelSender[] cs : senders.values()) if (cs[channel].holds(user, seq)) return true;
        return false;
    }

    private void awaitReplica(String user, long seq) {
        if (!syncActive() || replicaHas(user, seq)) return;
        SyncWaiters.Waiter w = waiting.add(user, seq);
        // The Ack (or stop, or the fallback) may have come between the first look and joining the list.
        if (replicaHas(user, seq)) waiting.release(user, seq);
        if (stopped || !syncActive()) w.done().complete(false);
        boolean had;
        try {
            had = w.done().get(tuning.syncTimeout().toNanos(), TimeUnit.NANOSECONDS) || replicaHas(user, seq);
        } catch (java.util.concurrent.TimeoutException e) {
            waiting.drop(user, w);
            fallBack();
            if (spec.onReplicaLoss() == OnReplicaLoss.REFUSE) {
                // Written here, and shipped when a replica is back; a retry may store it twice.
                throw new StoreException(StoreException.Reason.UNAVAILABLE, "store " + spec.name()
                        + ": no replica applied the change within " + tuning.syncTimeout().toMillis()
                        + " ms (on_replica_loss = refuse)");
            }
            return;
        } catch (InterruptedException e) {
            waiting.drop(user, w);
            Thread.currentThread().interrupt();
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "interrupted while waiting for a replica");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        if (stopped && !had) {
            throw new StoreException(StoreException.Reason.UNAVAILABLE,
                    "store " + spec.name() + " is no longer mastered here; the change may not be kept");
        }
        if (spec.onReplicaLoss() == OnReplicaLoss.REFUSE && !had) {
            throw new StoreException(StoreException.Reason.UNAVAILABLE,
                    "store " + spec.name() + ": no replica applied the change (on_replica_loss = refuse)");
        }
    }

    /** Sync mode: no replica applied a commit in time. */
    private void fallBack() {
        if (degraded()) return;
        degradations.increment();
        enterDegraded("no replica applied a commit within " + tuning.syncTimeout().toMillis() + " ms");
    }

    /** No replica takes this store's writes: one WARN, then commits stop waiting for one (or are refused). */
    private void enterDegraded(String why) {
        synchronized (this) {
            if (degradedSince != null) return;
            degradedSince = java.time.Instant.now();
        }
        // Out of the in-sync set, durably, before commits are acknowledged without the replicas.
        inSync.fallingBack();
        if (spec.onReplicaLoss() == OnReplicaLoss.REFUSE) {
            log.warn("store {}: {}: refusing writes until a replica is back (on_replica_loss = refuse)", spec.name(), why);
        } else {
            log.warn("store {}: {}: degraded: writes go on on this node alone{} until a replica has caught up",
                    spec.name(), why, spec.mode() == Mode.SYNC ? " (acknowledged without a replica)" : "");
        }
        waiting.releaseAll();
    }

    /** A replica has caught up: one INFO, and sync mode waits for it again. */
    private void leaveDegraded(String replica) {
        java.time.Instant since;
        synchronized (this) {
            since = degradedSince;
            if (since == null) return;
            degradedSince = null;
        }
        log.info("store {}: replica {} caught up: no longer degraded (since {}){}", spec.name(), replica, since,
                spec.mode() == Mode.SYNC ? ": back to sync replication" : "");
    }

    /** What the channels to one replica tell this store. */
    private final class ReplicaEvents implements ChannelListener {
        private final String replica;

        ReplicaEvents(String replica) { this.replica = replica; }

        @Override public void acked(String user, long seq) {
            replicated.merge(user, seq, Math::max);
            waiting.release(user, seq);
        }

        @Override public void deleted(String user, long seq) {
            // Only what the deletion covers, looked at per waiter: a commit of the user created
            // again meanwhile (here again, at a lower seq) waits for its own Ack.
            waiting.releaseHeld(user, s -> replicaHas(user, s));
        }

        @Override public void delay(long nanos) {
            Timer t = delays.get(replica);
            if (t != null) t.record(nanos, TimeUnit.NANOSECONDS);
        }

        @Override public void caughtUp() {
            SyncState state = inSync.state(replica);
            if (state != null && !state.inSync()) inSync.evaluate(); // back in at once, not at the next tick
            if (!degraded() && window.counts(replica)) return;
            for (ChannelSender c : senders.get(replica)) if (!c.connected() || c.lagChanges() > 0) return;
            window.inStep(replica);
            leaveDegraded(replica);
        }

        @Override public void newerEpoch(long epoch) {
            log.warn("store {}: {} knows a newer epoch {} (ours {}): this node stops writing for the store",
                    spec.name(), replica, epoch, slot.replication().epoch());
            onNewerEpoch.accept(spec.name(), epoch);
        }

        @Override public void diverged(String user, long seq, long epoch) {
            log.warn("store {}: {} holds {} at seq {} (epoch {}), changes this master never had: reconciling",
                    spec.name(), replica, user, seq, epoch);
        }

        @Override public void reconciled(String user, int records, List<String> lines) {
            String head = "store " + spec.name() + ": reconciled " + user + " with " + replica + " (" + records
                    + " change(s) it had that this master did not)";
            log.warn(head);
            report.add(head);
            for (String l : lines) {
                log.warn("store {}: {}", spec.name(), l);
                report.add("store " + spec.name() + ": " + l);
            }
        }
    }

    List<String> report() { return List.copyOf(report); }

    /** Prunes every user's log below what every replica has acknowledged. */
    int prune() {
        int n = 0;
        for (String user : slot.users()) {
            int ch = slot.channelOf(user);
            long min = Long.MAX_VALUE;
            for (ChannelSender[] cs : senders.values()) min = Math.min(min, cs[ch].acked(user));
            if (min <= 0 || min == Long.MAX_VALUE) continue;
            if (slot.changeLog().firstSeq(user) <= min) {
                slot.changeLog().prune(user, min - 1); // keep the record at min: it proves where the replica is
                n++;
            }
        }
        return n;
    }

    /** Changes the most-behind replica has not acknowledged (all its channels together). */
    long lagChanges() {
        long n = 0;
        for (ChannelSender[] cs : senders.values()) {
            long replica = 0;
            for (ChannelSender c : cs) replica += c.lagChanges();
            n = Math.max(n, replica);
        }
        return n;
    }

    /** One replica as status and metrics show it: connected or not and since when, its lag, its last Ack. */
    Replication.ReplicaStatus replicaStatus(String replica) {
        PeerLink.State s = links.get(replica).state();
        long changes = 0, millis = 0;
        for (ChannelSender c : senders.get(replica)) {
            changes += c.lagChanges();
            millis = Math.max(millis, c.lagMillis());
        }
        return new Replication.ReplicaStatus(replica, s.connected(), s.channelsUp(), s.channels(), s.since(), changes, millis,
                s.lastAck(), s.lastFailure());
    }

    long lagMillis() {
        long n = 0;
        for (ChannelSender[] cs : senders.values()) for (ChannelSender c : cs) n = Math.max(n, c.lagMillis());
        return n;
    }

    /** The lowest seq of the user any replica has acknowledged (-1: one has acknowledged none); with no replica, Long.MAX_VALUE. */
    long replicatedSeq(String user) {
        long min = Long.MAX_VALUE;
        for (ChannelSender[] cs : senders.values()) min = Math.min(min, cs[slot.channelOf(user)].acked(user));
        return min;
    }

    void resync(String user) {
        for (ChannelSender[] cs : senders.values()) {
            if (user != null) cs[slot.channelOf(user)].resync(user);
            else for (String u : slot.users()) cs[slot.channelOf(u)].resync(u);
        }
    }
}
