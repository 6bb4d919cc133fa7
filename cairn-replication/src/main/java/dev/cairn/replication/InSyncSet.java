// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.SlotStore;
import dev.cairn.store.replication.SyncState;
import dev.cairn.store.replication.SyncState.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's side of a store's in-sync set: which replicas hold everything this master
 * acknowledged, kept durably in the slot ({@link dev.cairn.store.replication.SlotReplication#replicaStates})
 * and told to each replica ({@link Frame.InSync}), which keeps its own claim ({@link InSyncClaim}).
 *
 * <p>A replica falls out when this master acknowledges a commit it does not have and the gap
 * lasts: its oldest unacknowledged commit is older than {@code bound} (the store's sync_timeout;
 * in sync mode that is also when commits stop waiting for it), or the sync-mode fallback let a
 * commit go without it. It comes back once every channel to it is connected, has shipped what the
 * replica lacked at the handshake, and lags by at most half the bound. An out-of-sync decision is
 * durable here before the commit that caused it is acknowledged (the fallback) or within one
 * evaluation (every {@link #EVERY}), and told to the replica at once; an in-sync one is told once
 * every channel is caught up, again after any channel reconnects.
 */
final class InSyncSet {
    private static final Logger log = LoggerFactory.getLogger(InSyncSet.class);
    /** How often the set is evaluated besides the events that evaluate it at once. */
    static final Duration EVERY = Duration.ofMillis(200);

    private final String store;
    private final SlotStore slot;
    private final long boundMillis;
    private final Map<String, ChannelSender[]> senders;
    /** Written under this object's lock, read without it. */
    private final Map<String, SyncState> states = new java.util.concurrent.ConcurrentHashMap<>();
    /** Per replica, each channel's connection count when the replica was last told its state. */
    private final Map<String, long[]> told = new HashMap<>();
    private long lastVersion;

    InSyncSet(String store, SlotStore slot, Duration bound, Map<String, ChannelSender[]> senders) {
        this.store = store;
        this.slot = slot;
        this.boundMillis = Math.max(1, bound.toMillis());
        this.senders = senders;
        long epoch = slot.replication().epoch(), now = System.currentTimeMillis();
        Map<String, SyncState> recorded = slot.replication().replicaStates();
        for (String replica : senders.keySet()) {
            SyncState s = recorded.get(replica);
            if (s != null) lastVersion = Math.max(lastVersion, s.version());
            // Decided by this master at this epoch: it holds (a restart of the master changes nothing the
            // replica has); anything else is from before this master's epoch and says nothing of it.
            if (s == null || s.epoch() != epoch) {
                s = new SyncState(Kind.OUT_OF_SYNC, epoch, 0, now, "not caught up with this master (epoch " + epoch + ") yet");
            }
            states.put(replica, s);
        }
    }

    /** The replica's state as this master last decided it. */
    SyncState state(String replica) { return states.get(replica); }

    Map<String, SyncState> states() { return new TreeMap<>(states); }

    /** The master's view in words, for status: "in sync since T", "out of sync since T (why)". */
    static String describe(SyncState s) {
        return s.inSync() ? "in sync since " + s.time() : s.describe();
    }

    /**
     * The sync-mode fallback: a commit is about to be acknowledged without waiting for any replica,
     * so every replica that is not connected and caught up is out of sync, durably, before that.
     */
    synchronized void fallingBack() {
        long now = System.currentTimeMillis();
        for (Map.Entry<String, ChannelSender[]> e : senders.entrySet()) {
            boolean current = true;
            for (ChannelSender c : e.getValue()) current &= c.connected() && c.lagMillis() == 0 && c.lagChanges() == 0;
            if (!current) fallOut(e.getKey(), now, "sync mode fell back to async: the master acknowledged commits without it");
        }
    }

    /** Looks at every replica: falls out, comes back, or is told its state again after a reconnect. */
    synchronized void evaluate() {
        long now = System.currentTimeMillis();
        for (Map.Entry<String, ChannelSender[]> e : senders.entrySet()) {
            String replica = e.getKey();
            ChannelSender[] cs = e.getValue();
            boolean connected = true, caughtUp = true;
            long lag = 0;
            long[] connections = new long[cs.length];
            for (int i = 0; i < cs.length; i++) {
                connected &= cs[i].connected();
                caughtUp &= cs[i].caughtUpSinceConnect();
                lag = Math.max(lag, cs[i].lagMillis());
                connections[i] = cs[i].connections();
            }
            SyncState s = states.get(replica);
            if (s.inSync() && lag > boundMillis) {
                fallOut(replica, now - lag, "the master acknowledged commits it did not have for over " + boundMillis + " ms");
            } else if (!s.inSync() && connected && caughtUp && lag <= boundMillis / 2) {
                record(replica, new SyncState(Kind.IN_SYNC, slot.replication().epoch(), nextVersion(), now, ""));
                log.info("store {}: replica {} is in sync (holds everything this master acknowledged)", store, replica);
                tell(replica, connections);
            } else if (connected && (caughtUp || !s.inSync()) && !Arrays.equals(connections, told.get(replica))) {
                // Reconnected since it was last told: tell it again (a new version, so it wins over older ones).
                record(replica, new SyncState(s.kind(), s.epoch(), nextVersion(), s.at(), s.why()));
                tell(replica, connections);
            }
        }
    }

    /** The master is about to acknowledge a commit the replica lacks, and nothing else covers it: out, durably, now. */
    synchronized void takeOut(String replica, String why) {
        fallOut(replica, System.currentTimeMillis(), why);
    }

    private void fallOut(String replica, long since, String why) {
        if (!states.get(replica).inSync()) return;
        record(replica, new SyncState(Kind.OUT_OF_SYNC, slot.replication().epoch(), nextVersion(), since, why));
        log.warn("store {}: replica {} is out of sync since {}: {}", store, replica, Instant.ofEpochMilli(since), why);
        long[] connections = new long[senders.get(replica).length];
        for (int i = 0; i < connections.length; i++) connections[i] = senders.get(replica)[i].connections();
        tell(replica, connections);
    }

    private void record(String replica, SyncState s) {
        slot.replication().recordReplicaState(replica, s); // durable before the replica hears of it
        states.put(replica, s);
    }

    /** Every channel sends it (those not connected once they are): the replica keeps the newest version. */
    private void tell(String replica, long[] connections) {
        SyncState s = states.get(replica);
        Frame.InSync f = new Frame.InSync(store, s.epoch(), s.version(), s.inSync(), s.at());
        for (ChannelSender c : senders.get(replica)) c.tell(f);
        told.put(replica, connections);
    }

    /** Strictly increasing, and above what an earlier run of this master said (milliseconds of the clock). */
    private long nextVersion() {
        lastVersion = Math.max(lastVersion + 1, System.currentTimeMillis());
        return lastVersion;
    }
}
