// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.CommitTail.Committed;
import dev.cairn.replication.Frame.Body;
import dev.cairn.replication.Frame.Entry;
import dev.cairn.store.BodyId;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The entries of one Changes frame as a channel gathers them: per user, its commits from where
 * shipping resumes (from memory, {@link CommitTail}, or the change log), with the bodies the
 * replica may lack, up to the frame's budget of records and {@link #BATCH_BYTES}; the users that
 * did not fit, or have more, go {@link #again}.
 */
final class ChangesBatch {
    static final int BATCH_BYTES = 8 << 20;

    final List<Entry> entries = new ArrayList<>();
    /** The last seq gathered per user. */
    final Map<String, Long> last = new HashMap<>();
    /** Users with more to ship than this frame took. */
    final List<String> again = new ArrayList<>();
    private final int budget;
    private long bytes;

    ChangesBatch(int budget) { this.budget = budget; }

    /**
     * Gathers the user's commits from seq {@code from} on. A user gone here (deleted) is forgotten
     * (the replica drops it too, through {@code resync}, and its answer acknowledges the deletion,
     * {@link UserDeletions}); one whose log no longer reaches back to
     * {@code from} is copied whole ({@code resync}).
     */
    void add(String user, long from, SlotStore slot, CommitTail tail, SentBodies bodies, ReplicaLag lag, Consumer<String> resync) {
        if (entries.size() >= budget || bytes >= BATCH_BYTES) {
            again.add(user);
            return;
        }
        List<Committed> commits;
        try {
            if (!slot.hasUser(user)) {
                // Gone on the master (deleted): the replica drops it too, even one it may never have
                // had (the drop's answer is what acknowledges the deletion); nothing else of it is waited for.
                lag.forget(user);
                tail.drop(user);
                resync.accept(user);
                return;
            }
            commits = tail.commits(user, from, budget - entries.size(), BATCH_BYTES - bytes, slot.changeLog());
            if (commits == null) {
                resync.accept(user); // the log no longer has what the replica needs
                return;
            }
        } catch (StoreException e) {
            return;
        }
        Set<BodyId> force = bodies.takeForced(user);
        for (Committed k : commits) {
            ChangeRecord rec = k.record();
            List<Body> carried = bodies.of(user, rec, force, k.bodies());
            for (Body b : carried) bytes += b.bytes().length;
            entries.add(new Entry(user, rec.seq(), k.encoded() != null ? k.encoded() : ChangeCodec.encode(rec), carried));
            last.put(user, rec.seq());
            if (bytes >= BATCH_BYTES) break;
        }
        Long sent = last.get(user);
        if (sent != null && sent < slot.replication().seq(user)) again.add(user);
    }
}
