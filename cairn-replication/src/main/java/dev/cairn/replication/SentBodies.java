// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.Body;
import dev.cairn.store.BodyId;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.SlotStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The message bodies a channel ships beside the records that append them: each body once (the
 * last 10,000 sent on the channel are remembered), and again when the replica asks for it
 * (NeedBodies).
 */
final class SentBodies {
    private static final int REMEMBERED = 10_000;

    private final SlotStore slot;
    /** Only the sending thread reads and writes it. */
    private final Map<BodyId, Boolean> sent = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<BodyId, Boolean> e) { return size() > REMEMBERED; }
    };
    /** Per user, bodies the replica asked for: sent again with the user's next records. */
    private final Map<String, Set<BodyId>> forced = new HashMap<>();

    SentBodies(SlotStore slot) { this.slot = slot; }

    /** The replica lacks these bodies of the user (NeedBodies): they go again, sent before or not. */
    synchronized void force(String user, Collection<BodyId> bodies) {
        forced.computeIfAbsent(user, u -> new HashSet<>()).addAll(bodies);
    }

    /** The bodies the user's next records must carry again, or null. */
    synchronized Set<BodyId> takeForced(String user) { return forced.remove(user); }

    /** A new connection: shipping starts over from the replica's positions. */
    synchronized void clearForced() { forced.clear(); }

    /**
     * The bodies the record's appends need that this channel has not sent (or must send again),
     * from memory where the commit had them, else from the store.
     */
    List<Body> of(String user, ChangeRecord rec, Set<BodyId> force, Map<BodyId, byte[]> inMemory) {
        List<Body> out = new ArrayList<>();
        Set<BodyId> seen = new HashSet<>();
        for (Change ch : rec.changes()) {
            if (!(ch instanceof Change.MessagesAppended a)) continue;
            for (Change.AppendedMessage m : a.messages()) {
                BodyId id = m.body();
                if (!seen.add(id)) continue;
                boolean forcedHere = force != null && force.contains(id);
                if (!forcedHere && sent.containsKey(id)) continue;
                byte[] held = inMemory.get(id);
                if (held != null) {
                    out.add(new Body(id, held));
                    sent.put(id, Boolean.TRUE);
                    continue;
                }
                try (InputStream in = slot.user(user).openBody(id)) {
                    out.add(new Body(id, in.readAllBytes()));
                    sent.put(id, Boolean.TRUE);
                } catch (IOException | StoreException e) {
                    // Gone since (expunged): the replica asks, and a resync settles it.
                }
            }
        }
        return out;
    }
}
