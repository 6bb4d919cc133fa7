// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.replication.SlotReplication;
import dev.cairn.store.replication.SyncState;
import dev.cairn.store.replication.SyncState.Kind;
import java.time.Instant;

/**
 * A replica slot's claim to hold everything its master acknowledged, kept durably in the slot
 * ({@link SyncState}): what the master last told it ({@link Frame.InSync}, the newest by epoch and
 * version), when it last heard from it (written at most every {@link #HEARD_EVERY_MILLIS}), when
 * the link was lost. It holds only as long as the replica runs: a restart, or a master of a newer
 * epoch, makes it out of sync until a master says otherwise (what that master acknowledged
 * meanwhile is unknown here). A promotion without {@code --force} needs it in sync.
 */
final class InSyncClaim {
    static final long HEARD_EVERY_MILLIS = 5_000;

    private final SlotReplication slot;
    /** Guarded by this. */
    private SyncState state;
    /** When "last heard" was last written (a volatile look on every frame, a write every few seconds). */
    private volatile long heardWritten;

    InSyncClaim(SlotReplication slot) {
        this.slot = slot;
        this.state = slot.syncState();
    }

    synchronized SyncState state() { return state; }

    /** Starting as a replica: what held before the restart says nothing of what the master did meanwhile. */
    synchronized void restarted() {
        if (state == null || !state.inSync()) return;
        record(state.with(Kind.OUT_OF_SYNC, state.at(), "restarted at " + Instant.now()
                + " and not told since by the master that it holds everything the master acknowledged"));
    }

    /** The master's announcement on one of its channels (the channel's epoch is the slot's). */
    synchronized void told(Frame.InSync f) {
        if (state != null && (f.epoch() < state.epoch() || f.epoch() == state.epoch() && f.version() <= state.version())) return;
        record(f.inSync() ? new SyncState(Kind.IN_SYNC, f.epoch(), f.version(), System.currentTimeMillis(), "")
                : new SyncState(Kind.OUT_OF_SYNC, f.epoch(), f.version(), f.since(), "the master acknowledged commits it did not have"));
    }

    /** A frame from the master arrived. */
    void heard() {
        long now = System.currentTimeMillis();
        if (now - heardWritten < HEARD_EVERY_MILLIS) return;
        synchronized (this) {
            heardWritten = now;
            if (state != null && state.kind() == Kind.IN_SYNC) record(state.with(Kind.IN_SYNC, now, ""));
        }
    }

    /** A channel from the master closed (not because this node stops): in sync until now, no longer hearing. */
    synchronized void linkLost() {
        if (state != null && state.kind() == Kind.IN_SYNC) record(state.with(Kind.LINK_LOST, System.currentTimeMillis(), ""));
    }

    /** A master of a newer epoch connected: the claim was about its predecessor. */
    synchronized void newEpoch(long epoch) {
        if (state == null || state.epoch() >= epoch) return;
        // At the new epoch: its predecessor's announcements, older, no longer count.
        record(state.inSync() ? new SyncState(Kind.OUT_OF_SYNC, epoch, 0, System.currentTimeMillis(), "a new master (epoch " + epoch
                + ") has not told it yet that it holds everything it acknowledged")
                : new SyncState(Kind.OUT_OF_SYNC, epoch, 0, state.at(), state.why()));
    }

    /** Promoted: a master has no claim (it is the reference). */
    synchronized void promoted() {
        state = null;
        slot.recordSyncState(null);
    }

    private void record(SyncState s) {
        slot.recordSyncState(s);
        state = s;
    }
}
