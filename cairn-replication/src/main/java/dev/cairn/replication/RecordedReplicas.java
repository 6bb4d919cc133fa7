// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.ReplicationConfig.Mode;
import dev.cairn.store.SlotStore;
import dev.cairn.store.replication.SyncState;
import java.util.Set;

/**
 * What a master's store record may list as in sync (cairn-cluster's README, "Record formats"),
 * for {@link InSyncPublication}.
 *
 * <p>An async store's replicas never stay: its master acknowledges before any replica has a
 * commit, so none holds everything it acknowledged, and the controller promotes none by itself
 * (an operator's {@code cairn store switch} loses nothing; {@code promote --force} may). In a sync
 * store a replica stays while the master's in-sync set ({@link InSyncSet}) has it and, when it is
 * the only replica, while it has every commit acknowledged: one it lacks (the store degraded)
 * takes it out of the in-sync set first. With several replicas sync mode waits for the first, so
 * the others count within the in-sync set's bound (sync_timeout), as issue 19 defined it. A
 * replica is put back once it is in sync, was told so, holds everything committed, and commits
 * wait for it again (the store not degraded).
 */
final class RecordedReplicas implements InSyncPublication.Replicas {
    private final StoreMaster master;
    private final Mode mode;
    private final SlotStore slot;

    RecordedReplicas(StoreMaster master, Mode mode, SlotStore slot) {
        this.master = master;
        this.mode = mode;
        this.slot = slot;
    }

    @Override public Set<String> all() { return master.senders.keySet(); }

    @Override public boolean mayStay(String replica, String user, long seq) {
        if (mode == Mode.ASYNC) return false;
        SyncState s = master.inSync.state(replica);
        if (s == null || !s.inSync()) return false;
        if (user == null || master.senders.size() > 1 || master.senders.get(replica)[slot.channelOf(user)].holds(user, seq)) return true;
        master.inSync.takeOut(replica, "the master acknowledges a commit it does not have (degraded)");
        return false;
    }

    @Override public boolean mayJoin(String replica) {
        if (!mayStay(replica, null, 0) || master.degraded()) return false;
        for (ChannelSender c : master.senders.get(replica)) if (!c.connected() || c.lagChanges() > 0) return false;
        return true;
    }
}
