// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Replication.ChannelStatus;
import dev.cairn.replication.Replication.ReplicaProgress;
import dev.cairn.replication.Replication.ReplicaStatus;
import dev.cairn.replication.Replication.StoreStatus;
import dev.cairn.replication.ReplicationConfig.SlotRef;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import dev.cairn.store.SlotStore;
import dev.cairn.store.replication.SyncState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one node's replication can say of itself, read from its state and never changing it: the
 * status `cairn replica status` and the admin page show, the progress the cluster's controller
 * orders candidates by, and the replica report.
 */
final class StatusReports {
    private StatusReports() {}

    /** What reconciliation, forced promotions and resyncs did. */
    static List<String> report(Replication r) {
        List<String> out = new ArrayList<>();
        synchronized (r.promotions) {
            out.addAll(r.promotions);
        }
        for (StoreMaster m : r.masters.values()) out.addAll(m.report());
        r.resyncLog.forEach((s, users) -> {
            synchronized (users) {
                for (String u : users) out.add("store " + s + ": " + u + " copied whole from the master");
            }
        });
        return out;
    }

    /** One per store with a slot here; the position is the slot's running sum of its users' seqs (O(1)). */
    static List<ReplicaProgress> progress(Replication r) {
        List<ReplicaProgress> out = new ArrayList<>();
        for (StoreSpec s : r.map.all()) {
            SlotRef self = r.self(s);
            if (self == null) continue;
            SlotStore slot = r.slots.get(self.slot());
            long position = slot.replication().position();
            // A master never claims in sync: a report left from its time as master must not make it a candidate.
            SyncState claim = r.masters.containsKey(s.name()) ? null : r.claim(s.name()).state();
            out.add(new ReplicaProgress(s.name(), self.slot(), claim != null && claim.inSync(), slot.replication().epoch(), position));
        }
        return out;
    }

    /** One line per store and one per channel with anything to say: role, master, mode, epoch, positions, lag. */
    static List<StoreStatus> status(Replication r) {
        List<StoreStatus> out = new ArrayList<>();
        for (StoreSpec s : r.map.all()) {
            SlotStore slot = r.localSlot(s.name());
            if (slot == null) continue;
            StoreMaster m = r.masters.get(s.name());
            List<ChannelStatus> channels = new ArrayList<>();
            List<ReplicaStatus> links = new ArrayList<>();
            Map<String, String> inSync = new java.util.TreeMap<>();
            String mode;
            String degraded = null;
            if (m != null) {
                mode = s.mode() == ReplicationConfig.Mode.ASYNC ? "async"
                        : m.degraded() && m.onReplicaLoss() == ReplicationConfig.OnReplicaLoss.DEGRADE ? "async (fallen back from sync)" : "sync";
                java.time.Instant since = m.degradedSince();
                if (since != null) {
                    degraded = (m.onReplicaLoss() == ReplicationConfig.OnReplicaLoss.REFUSE ? "refusing writes since " : "degraded since ")
                            + since.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
                }
                m.inSync.states().forEach((replica, st) -> inSync.put(replica, InSyncSet.describe(st)));
                for (Map.Entry<String, ChannelSender[]> e : m.senders.entrySet()) {
                    links.add(m.replicaStatus(e.getKey()));
                    for (ChannelSender c : e.getValue()) {
                        channels.add(new ChannelStatus(e.getKey(), c.config.channel(), c.connected(), c.ackedUsers(), c.lagChanges(), c.lagMillis()));
                    }
                }
            } else {
                mode = "replica";
                SyncState claim = r.claim(s.name()).state();
                inSync.put(r.config.node(), claim == null ? "never told by a master that it is in sync" : claim.describe());
            }
            out.add(new StoreStatus(s.name(), m != null ? "master" : "replica", r.currentMaster.getOrDefault(s.name(), "?"),
                    s.replicas().stream().map(Object::toString).toList(), mode, slot.replication().epoch(), degraded, channels,
                    links, inSync));
        }
        return out;
    }
}
